import { test, expect, hydrated, uniqueEmail, PASSWORD } from "./fixtures";
import { mailTo, linkIn } from "./mail";
import type { Page } from "@playwright/test";

// Mail goes over SMTP to MailDev (started by global-setup); the tests read
// it from MailDev's HTTP API and open its links as a person would.

const NEW_PASSWORD = "copper lantern under seven hills";

async function signUp(page: Page, email: string): Promise<void> {
  const created = await page.request.post("/api/auth/signup", {
    form: { email, password: PASSWORD },
    headers: { accept: "application/json", origin: new URL(process.env.APP_BASE_URL!).origin },
  });
  expect(created.status()).toBe(200);
}

for (const javaScript of [true, false]) {
  test.describe(javaScript ? "with JavaScript" : "without JavaScript", () => {
    test.use({ javaScriptEnabled: javaScript });

    async function ready(page: Page): Promise<void> {
      if (javaScript) await hydrated(page);
    }

    test("forgot password: the mailed link sets a new password and signs in", async ({
      page,
      browser,
    }) => {
      const email = uniqueEmail(javaScript ? "reset-js" : "reset-plain");
      // The account was made in another browser: this one has no session.
      const other = await browser.newContext();
      await signUp(await other.newPage(), email);
      await other.close();

      await page.goto("/login");
      await ready(page);
      await page.getByRole("link", { name: "Forgot your password?" }).click();
      await expect(page.getByRole("heading", { level: 1 })).toHaveText("Forgot your password?");
      await ready(page);
      await page.getByLabel("Email").fill(email);
      await page.getByRole("button", { name: "Send the link" }).click();
      await expect(page.getByRole("status")).toContainText(
        "If an account exists for that address, we have sent a link",
      );

      const mail = await mailTo(email, "Reset your");
      const link = linkIn(mail, "/reset-password");
      expect(new URL(link).origin).toBe(new URL(page.url()).origin);
      await page.goto(link);
      await ready(page);
      await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
      await page.getByLabel("New password again").fill("a different password entirely");
      await page.getByRole("button", { name: "Set the new password" }).click();
      await expect(page.getByRole("alert").first()).toContainText("The two passwords differ");

      await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
      await page.getByLabel("New password again").fill(NEW_PASSWORD);
      await page.getByRole("button", { name: "Set the new password" }).click();
      await expect(page).toHaveURL(/\/profile$/);
      await expect(page.locator(".details")).toContainText(email);
      // The link reached the address, so it counts as confirmed.
      await expect(page.getByRole("button", { name: "Send the link again" })).toHaveCount(0);
      await mailTo(email, "password was changed");

      // The link worked once.
      await page.goto(link);
      await expect(page.getByRole("alert")).toContainText("This link has expired or was already used");
      await expect(page.getByRole("link", { name: "Ask for a new link" })).toHaveAttribute(
        "href",
        "/forgot-password",
      );
    });

    test("confirm the email address from the mailed link", async ({ page }) => {
      const email = uniqueEmail(javaScript ? "verify-js" : "verify-plain");
      await page.goto("/signup");
      await ready(page);
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
      await page.getByRole("button", { name: "Sign up" }).click();
      await expect(page).toHaveURL(/\/profile$/);
      await expect(page.getByText("Your email address is not confirmed yet")).toBeVisible();

      await page.getByRole("button", { name: "Send the link again" }).click();
      await expect(page.getByRole("status").filter({ hasText: "We sent a new link" })).toBeVisible();

      const mail = await mailTo(email, "Confirm your email address");
      await page.goto(linkIn(mail, "/verify-email"));
      await ready(page);
      await page.getByRole("button", { name: "Confirm my email address" }).click();
      await expect(page.getByRole("status")).toContainText("Your email address is confirmed");
      await page.getByRole("link", { name: "Go to your profile" }).click();
      await expect(page).toHaveURL(/\/profile$/);
      await expect(page.locator(".details")).toContainText(email);
      await expect(page.getByRole("button", { name: "Send the link again" })).toHaveCount(0);
      await expect(page.locator(".activity")).toContainText("Email address verified");
    });
  });
}

for (const javaScript of [true, false]) {
  test.describe(`SIGNUP_MODE=verify-first, ${javaScript ? "with" : "without"} JavaScript`, () => {
    test.use({ javaScriptEnabled: javaScript, baseURL: process.env.APP_VERIFY_FIRST_URL });

    test("sign-up says to check the inbox, and the link starts the account", async ({ page }) => {
      const email = uniqueEmail(javaScript ? "first-js" : "first-plain");
      await page.goto("/signup");
      if (javaScript) await hydrated(page);
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
      await page.getByRole("button", { name: "Sign up" }).click();
      await expect(page.getByRole("status")).toContainText("Check your inbox");
      await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Log in" })).toBeVisible();

      const mail = await mailTo(email, "Confirm your email address");
      const link = linkIn(mail, "/verify-email");
      expect(new URL(link).origin).toBe(process.env.APP_VERIFY_FIRST_URL);
      await page.goto(link);
      if (javaScript) await hydrated(page);
      // The link starts the account only with the password chosen at sign-up.
      await page.getByLabel("Password", { exact: true }).fill("not the one I chose");
      await page.getByRole("button", { name: "Confirm my email address" }).click();
      await expect(page.getByRole("alert").first()).toContainText("not the password chosen at sign-up");
      await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
      await page.getByRole("button", { name: "Confirm my email address" }).click();
      await expect(page.getByRole("status")).toContainText("Your email address is confirmed");
      await page.getByRole("link", { name: "Go to your profile" }).click();
      await expect(page).toHaveURL(/\/profile$/);
      await expect(page.locator(".details")).toContainText(email);
    });
  });
}
