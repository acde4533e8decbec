import { test, expect, hydrated, uniqueEmail } from "./fixtures";
import { mailTo, linkIn } from "./mail";
import { totp } from "./totp";
import { account, accountWithApp } from "./api";
import type { Page } from "@playwright/test";

// Signing in by a link mailed from the log-in page, with JavaScript on and
// off: ask for it, open it from MailDev, press the button. An account with
// an authenticator app still asks for its code afterwards.

for (const javaScript of [true, false]) {
  test.describe(javaScript ? "with JavaScript" : "without JavaScript", () => {
    test.use({ javaScriptEnabled: javaScript });

    async function ready(page: Page): Promise<void> {
      if (javaScript) await hydrated(page);
    }

    /** From /login, asks for a link for `email`; returns it from the mail. */
    async function askForLink(page: Page, email: string): Promise<string> {
      await page.goto("/login");
      await ready(page);
      await page.getByRole("link", { name: "Email me a sign-in link" }).click();
      await expect(page.getByRole("heading", { level: 1 })).toHaveText("Sign in by email");
      await ready(page);
      await page.getByLabel("Email").fill(email);
      await page.getByRole("button", { name: "Email me a sign-in link" }).click();
      await expect(page.getByRole("status")).toContainText(
        "If an account exists for that address, we have sent it a link",
      );
      const link = linkIn(await mailTo(email, "sign-in link"), "/login-link");
      expect(new URL(link).origin).toBe(new URL(page.url()).origin);
      return link;
    }

    test("sign in by a mailed link, once", async ({ page, browser }) => {
      const email = uniqueEmail(javaScript ? "link-js" : "link-plain");
      await account(browser, email);
      const link = await askForLink(page, email);

      await page.goto(link);
      await ready(page);
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page).toHaveURL(/\/profile$/);
      await expect(page.locator(".details")).toContainText(email);
      // The link reached the address, so it counts as confirmed.
      await expect(page.getByRole("button", { name: "Send the link again" })).toHaveCount(0);
      await expect(page.locator(".activity")).toContainText("Sign-in link used");

      await page.goto(link);
      await expect(page.getByRole("alert")).toContainText(
        "This sign-in link has expired or was already used",
      );
      await expect(page.getByRole("link", { name: "Ask for a new link" })).toHaveAttribute(
        "href",
        "/login-link",
      );
    });

    test("an account with an authenticator app is asked for its code after the link", async ({
      page,
      browser,
    }) => {
      const email = uniqueEmail(javaScript ? "link-totp-js" : "link-totp-plain");
      const { secret } = await accountWithApp(browser, email);
      const link = await askForLink(page, email);

      await page.goto(link);
      await ready(page);
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page).toHaveURL(/\/login-code/);
      await expect(page.getByRole("heading", { level: 1 })).toHaveText("Two-step log-in");
      await ready(page);
      // The code that turned the app on is spent: the next step's is accepted.
      await page.getByLabel("Enter the code from your app").fill(totp(secret, 1));
      await page.getByRole("button", { name: "Log in" }).click();
      await expect(page).toHaveURL(/\/profile$/);
      await expect(page.locator(".details")).toContainText(email);
    });
  });
}
