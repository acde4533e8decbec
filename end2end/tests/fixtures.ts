import { appendFileSync } from "node:fs";
import { test as base, expect, type Page } from "@playwright/test";

// Every test fails if the page logs a console error or throws. Expected
// are only Chromium's notes about answers that are 4xx by design: a
// document that is the not-found page, and an API call that reports a
// user's mistake (401, 409, 422, 429). A missing script, stylesheet or
// WASM file, or any 5xx, still fails the test.
//
// Every test also notes the secrets its browser sent or received (what
// was typed in password fields, the tokens of mailed links, cookie
// values) in E2E_SECRETS_FILE; after the run, global-setup's teardown
// fails it if any of them is in the server's log.
export const test = base.extend<{ consoleErrors: string[]; secretsSeen: void }>({
  consoleErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      const expectedFailures = new Set<string>();
      page.on("response", (response) => {
        const status = response.status();
        const isDocument = response.request().resourceType() === "document";
        const isApi = new URL(response.url()).pathname.startsWith("/api/");
        if ((isDocument && status === 404) || (isApi && status >= 400 && status < 500)) {
          expectedFailures.add(response.url());
        }
      });
      page.on("console", (message) => {
        if (message.type() !== "error") return;
        const source = message.location().url;
        if (message.text().startsWith("Failed to load resource") && expectedFailures.has(source)) {
          return;
        }
        // The local mailbox shows a mail's HTML in a sandboxed frame with
        // no scripts allowed; Playwright's trace recorder tries to run its
        // own in every frame, and Chromium refuses it there, as it should.
        if (source === "about:srcdoc" && message.text().startsWith("Blocked script execution in 'about:srcdoc'")) {
          return;
        }
        errors.push(`${message.text()} (${source})`);
      });
      page.on("pageerror", (error) => errors.push(error.message));
      await use(errors);
      expect(errors, "console errors on the page").toEqual([]);
    },
    { auto: true },
  ],
  secretsSeen: [
    async ({ page, context }, use) => {
      const seen = new Map<string, string>();
      const keep = (kind: string, value: string | null | undefined) => {
        // Shorter values are a wrong password's length, not a secret's.
        if (value && value.length >= 12) seen.set(value, kind);
      };
      page.on("request", (request) => {
        keep("token", new URL(request.url()).searchParams.get("token"));
        const body = request.postData();
        const type = request.headers()["content-type"] ?? "";
        if (body && type.includes("application/x-www-form-urlencoded")) {
          for (const [name, value] of new URLSearchParams(body)) {
            if (name.includes("password")) keep("password", value);
            if (name.includes("token")) keep("token", value);
          }
        }
      });
      const reading: Promise<void>[] = [];
      page.on("response", (response) => {
        reading.push(
          response
            .headerValues("set-cookie")
            .then((cookies) => {
              for (const cookie of cookies) {
                keep("cookie", cookie.split(";")[0].split("=").slice(1).join("="));
              }
            })
            .catch(() => {}),
        );
      });
      await use();
      await Promise.all(reading);
      for (const cookie of await context.cookies()) keep("cookie", cookie.value);
      const file = process.env.E2E_SECRETS_FILE;
      if (file && seen.size > 0) {
        const lines = [...seen].map(([value, kind]) => JSON.stringify({ kind, value }));
        appendFileSync(file, lines.join("\n") + "\n");
      }
    },
    { auto: true },
  ],
});

export { expect };

/** The password every test account signs up with. */
export const PASSWORD = "violet kettle marching north";

/** An address no other test uses: `tag`, the time and a random part. */
export function uniqueEmail(tag: string): string {
  return `${tag}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

/** Waits until the WASM bundle has hydrated the page. */
export async function hydrated(page: Page): Promise<void> {
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "");
}
