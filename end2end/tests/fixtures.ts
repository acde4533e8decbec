import { test as base, expect, type Page } from "@playwright/test";

// Every test fails if the page logs a console error or throws. Expected
// are only Chromium's notes about answers that are 4xx by design: a
// document that is the not-found page, and an API call that reports a
// user's mistake (401, 409, 422, 429). A missing script, stylesheet or
// WASM file, or any 5xx, still fails the test.
export const test = base.extend<{ consoleErrors: string[] }>({
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
        errors.push(`${message.text()} (${source})`);
      });
      page.on("pageerror", (error) => errors.push(error.message));
      await use(errors);
      expect(errors, "console errors on the page").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

/** Waits until the WASM bundle has hydrated the page. */
export async function hydrated(page: Page): Promise<void> {
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "");
}
