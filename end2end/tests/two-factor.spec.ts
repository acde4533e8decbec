import { test, expect, hydrated, uniqueEmail, PASSWORD } from "./fixtures";
import { totp } from "./totp";
import type { Page } from "@playwright/test";

// Two-step log-in as a person uses it, with JavaScript on and off: turn on
// an authenticator app in settings (the server runs with SUDO_MINUTES=0,
// so it asks for the password first), save the recovery codes, then log
// in with a code from the app, and with a recovery code. The app is
// ./totp.ts.

for (const javaScript of [true, false]) {
  test.describe(javaScript ? "with JavaScript" : "without JavaScript", () => {
    test.use({ javaScriptEnabled: javaScript });

    async function ready(page: Page): Promise<void> {
      if (javaScript) await hydrated(page);
    }

    const nav = (page: Page) => page.getByRole("navigation", { name: "Main" });

    async function logInWithPassword(page: Page, email: string): Promise<void> {
      await page.goto("/login");
      await ready(page);
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
      await page.getByRole("button", { name: "Log in" }).click();
      await expect(page).toHaveURL(/\/login-code/);
      await expect(page.getByRole("heading", { level: 1 })).toHaveText("Two-step log-in");
      await ready(page);
    }

    test("turn on an authenticator app, then log in with its code and with a recovery code", async ({
      page,
    }) => {
      const email = uniqueEmail(javaScript ? "totp-js" : "totp-plain");
      await page.goto("/signup");
      await ready(page);
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
      await page.getByRole("button", { name: "Sign up" }).click();
      await expect(page).toHaveURL(/\/profile$/);

      await page.goto("/settings");
      await ready(page);
      const setUp = page.getByRole("button", { name: "Set up an authenticator app" });
      await setUp.click();
      // Sudo mode has lapsed (SUDO_MINUTES=0): the same form asks for the password.
      await page.getByLabel("Your password").fill(PASSWORD);
      await setUp.click();
      await expect(page.getByRole("img", { name: "QR code for your authenticator app" })).toBeVisible();
      const secret = (await page.locator("#totp-secret").textContent())!.trim();
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      await page.getByLabel("Code from the app").fill(totp(secret));
      await page.getByRole("button", { name: "Turn on" }).click();

      const codes = page.locator(".recovery-codes li code");
      await expect(codes).toHaveCount(10);
      const recovery = await codes.allTextContents();
      await expect(page.getByRole("link", { name: "Download them" })).toHaveAttribute(
        "download",
        "recovery-codes.txt",
      );
      await expect(page.getByText("Recovery codes left: 10 of 10.")).toBeVisible();

      // Log out; the password alone no longer signs in.
      await nav(page).getByRole("button", { name: "Log out" }).click();
      await expect(nav(page).getByRole("link", { name: "Log in" })).toBeVisible();
      await logInWithPassword(page, email);
      await page.goto("/profile");
      await expect(page).toHaveURL(/\/login\?next=/);

      await logInWithPassword(page, email);
      const codeField = page.getByLabel("Enter the code from your app");
      await codeField.fill("000000");
      await page.getByRole("button", { name: "Log in" }).click();
      await expect(page.getByText("That code is not right").first()).toBeVisible();
      // The code turning the app on is spent: the next step's is accepted.
      await page.getByLabel("Enter the code from your app").fill(totp(secret, 1));
      await page.getByRole("button", { name: "Log in" }).click();
      await expect(page).toHaveURL(/\/profile$/);
      await expect(page.getByText("Wrong code at log-in").first()).toBeVisible();

      await nav(page).getByRole("button", { name: "Log out" }).click();
      await expect(nav(page).getByRole("link", { name: "Log in" })).toBeVisible();
      await logInWithPassword(page, email);
      await page.getByRole("link", { name: "Use a recovery code" }).click();
      await expect(page).toHaveURL(/recovery=1/);
      await ready(page);
      await page.getByLabel("Recovery code").fill(recovery[0]);
      await page.getByRole("button", { name: "Log in" }).click();
      await expect(page).toHaveURL(/\/settings/);
      await expect(page.getByText("You used a recovery code.")).toBeVisible();
      await expect(page.getByText("Recovery codes left: 9 of 10.")).toBeVisible();
    });
  });
}
