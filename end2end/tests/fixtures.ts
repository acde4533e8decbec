import { test as base, expect, type Page } from "@playwright/test";

// Every test fails if the page logs a console error or throws. The one
// error we expect is Chromium's note about a document that deliberately
// answered 404 (the not-found page); a missing script, stylesheet or WASM
// file still fails the test.
export const test = base.extend<{ consoleErrors: string[] }>({
  consoleErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      const notFoundDocuments = new Set<string>();
      page.on("response", (response) => {
        if (response.request().resourceType() === "document" && response.status() === 404) {
          notFoundDocuments.add(response.url());
        }
      });
      page.on("console", (message) => {
        if (message.type() !== "error") return;
        const source = message.location().url;
        if (message.text().startsWith("Failed to load resource") && notFoundDocuments.has(source)) {
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
