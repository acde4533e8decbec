import AxeBuilder from "@axe-core/playwright";
import { test, expect, hydrated, PASSWORD } from "./fixtures";
import type { Page } from "@playwright/test";

// WCAG 2.1 A/AA checks by axe-core on every page, in both colour schemes,
// including a form showing its errors and the signed-in profile.

async function audit(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
    .analyze();
  const found = results.violations.map(
    (violation) => `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(" ")).join(", ")})`,
  );
  expect(found, `${what}: accessibility violations`).toEqual([]);
}

for (const colorScheme of ["light", "dark"] as const) {
  test.describe(`${colorScheme} theme`, () => {
    test.use({ colorScheme });

    test("every page passes WCAG 2.1 AA checks", async ({ page }) => {
      for (const path of [
        "/",
        "/signup",
        "/login",
        "/login-code",
        "/login-code?recovery=1",
        "/forgot-password",
        "/forgot-password?sent=1",
        "/login-link",
        "/login-link?sent=1",
        "/login-link?token=not-a-live-link",
        "/external-sign-in",
        "/external-sign-in?failed=denied",
        "/external-sign-in?token=not-a-live-link",
        "/reset-password?token=not-a-live-link",
        "/verify-email?token=not-a-live-link",
        "/verify-email?verified=1",
        "/confirm-email?token=not-a-live-link",
        "/confirm-email?changed=1",
        "/cancel-email-change?token=not-a-live-link",
        "/cancel-email-change?cancelled=1",
        "/does-not-exist",
      ]) {
        await page.goto(path);
        await hydrated(page);
        await audit(page, path);
      }

      await page.goto("/signup");
      await hydrated(page);
      await page.getByLabel("Email").fill("not an email");
      await page.getByRole("button", { name: "Sign up" }).click();
      await expect(page.getByRole("alert")).toBeVisible();
      await audit(page, "/signup with errors");

      const email = `a11y-${colorScheme}-${Date.now()}@example.com`;
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
      await page.getByRole("button", { name: "Sign up" }).click();
      await expect(page.locator(".activity li")).toHaveCount(1);
      await audit(page, "/profile");
      await page.goto("/settings");
      await hydrated(page);
      await audit(page, "/settings");

      // Setting up an authenticator app: the password asked again, then
      // the QR code and the field for the first code.
      const setUp = page.getByRole("button", { name: "Set up an authenticator app" });
      await setUp.click();
      await page.getByLabel("Your password").fill(PASSWORD);
      await setUp.click();
      await expect(page.getByRole("img", { name: "QR code for your authenticator app" })).toBeVisible();
      await audit(page, "/settings with an authenticator app being set up");
    });
  });
}

test("the checker catches a real violation", async ({ page }) => {
  await page.goto("/login");
  await hydrated(page);
  await page.evaluate(() => {
    const input = document.createElement("input");
    input.type = "text";
    document.querySelector("main")?.append(input);
  });
  const results = await new AxeBuilder({ page }).withTags(["wcag2a"]).analyze();
  expect(results.violations.map((violation) => violation.id)).toContain("label");
});
