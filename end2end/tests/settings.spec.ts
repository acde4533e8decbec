import { test, expect, hydrated, uniqueEmail, PASSWORD } from "./fixtures";
import { mailTo, linkIn } from "./mail";
import type { Browser, Page } from "@playwright/test";

// Account settings as a person uses them, with JavaScript on and off. The
// server runs with SUDO_MINUTES=0, so each sensitive action first asks for
// the password again, as it does once sudo mode has lapsed. Mail goes over
// SMTP to MailDev.

const NEW_PASSWORD = "copper lantern under seven hills";

for (const javaScript of [true, false]) {
  test.describe(javaScript ? "with JavaScript" : "without JavaScript", () => {
    test.use({ javaScriptEnabled: javaScript });

    async function ready(page: Page): Promise<void> {
      if (javaScript) await hydrated(page);
    }

    async function signUp(page: Page, email: string): Promise<void> {
      await page.goto("/signup");
      await ready(page);
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
      await page.getByRole("button", { name: "Sign up" }).click();
      await expect(page).toHaveURL(/\/profile$/);
    }

    /** A second browser, signed in to `email` with `password`. */
    async function secondBrowser(browser: Browser, email: string, password = PASSWORD) {
      const context = await browser.newContext({ javaScriptEnabled: javaScript });
      const page = await context.newPage();
      await page.goto("/login");
      await ready(page);
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password", { exact: true }).fill(password);
      await page.getByRole("button", { name: "Log in" }).click();
      await expect(page).toHaveURL(/\/profile$/);
      return { context, page };
    }

    async function openSettings(page: Page): Promise<void> {
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
      await expect(page).toHaveURL(/\/settings$/);
      await expect(page.getByRole("heading", { level: 1 })).toHaveText("Settings");
      await ready(page);
    }

    test("change the password: other browsers are signed out, the new one logs in", async ({
      page,
      browser,
    }) => {
      const email = uniqueEmail(javaScript ? "password-js" : "password-plain");
      await signUp(page, email);
      const other = await secondBrowser(browser, email);
      await openSettings(page);

      const form = page.locator("form", { has: page.getByRole("button", { name: "Change password" }) });
      await form.getByLabel("Current password").fill("not my password at all");
      await form.getByLabel("New password").fill(NEW_PASSWORD);
      await form.getByRole("button", { name: "Change password" }).click();
      await expect(form.getByRole("alert")).toContainText("That is not your current password");
      await ready(page);

      await form.getByLabel("Current password").fill(PASSWORD);
      await form.getByLabel("New password").fill(NEW_PASSWORD);
      await form.getByRole("button", { name: "Change password" }).click();
      await expect(page.getByRole("status").filter({ hasText: "Your password was changed" })).toBeVisible();

      // The other browser is out at its next page; the new password works.
      await other.page.goto("/profile");
      await expect(other.page).toHaveURL(/\/login\?next=/);
      await other.context.close();
      const fresh = await secondBrowser(browser, email, NEW_PASSWORD);
      await expect(fresh.page.locator(".details")).toContainText(email);
      await fresh.context.close();
      await mailTo(email, "password was changed");
    });

    test("end another browser's session from the list", async ({ page, browser }) => {
      const email = uniqueEmail(javaScript ? "sessions-js" : "sessions-plain");
      await signUp(page, email);
      const other = await secondBrowser(browser, email);
      await openSettings(page);

      const list = page.locator(".sessions");
      await expect(list.getByRole("listitem")).toHaveCount(2);
      const mine = list.getByRole("listitem").filter({ hasText: "This browser" });
      await expect(mine.getByRole("button")).toHaveCount(0);
      const theirs = list.getByRole("listitem").filter({ hasNotText: "This browser" });
      await theirs.getByRole("button", { name: /^Sign out / }).click();
      // Sudo mode has lapsed: the same form asks for the password.
      await ready(page);
      await expect(theirs.getByLabel("Your password")).toBeVisible();
      await theirs.getByLabel("Your password").fill(PASSWORD);
      await theirs.getByRole("button", { name: /^Sign out / }).click();
      await expect(page.getByRole("status").filter({ hasText: "That browser was signed out" })).toBeVisible();
      await expect(list.getByRole("listitem")).toHaveCount(1);

      await other.page.goto("/profile");
      await expect(other.page).toHaveURL(/\/login\?next=/);
      await other.context.close();
    });

    test("change the email address through the mailed link", async ({ page }) => {
      const email = uniqueEmail(javaScript ? "email-js" : "email-plain");
      const newEmail = uniqueEmail(javaScript ? "new-js" : "new-plain");
      await signUp(page, email);
      await openSettings(page);

      const form = page.locator("form", { has: page.getByRole("button", { name: "Send a confirmation link" }) });
      await form.getByLabel("New email address").fill(newEmail);
      await form.getByRole("button", { name: "Send a confirmation link" }).click();
      await expect(form.getByLabel("Your password")).toBeVisible();
      await ready(page);
      // What was typed is still there; only the password is added.
      await expect(form.getByLabel("New email address")).toHaveValue(newEmail);
      await form.getByLabel("Your password").fill(PASSWORD);
      await form.getByRole("button", { name: "Send a confirmation link" }).click();
      await expect(page.getByRole("status").filter({ hasText: "We sent a link to the new address" })).toBeVisible();

      const mail = await mailTo(newEmail, "Confirm your new email address");
      await page.goto(linkIn(mail, "/confirm-email"));
      await ready(page);
      await page.getByRole("button", { name: "Use this email address" }).click();
      await expect(page.getByRole("status")).toContainText("Your email address is changed");
      await mailTo(email, "email address was changed");
      await page.goto("/profile");
      await expect(page.locator(".details")).toContainText(newEmail);
      await expect(page.locator(".activity")).toContainText("Email address changed");
    });

    test("cancel a change of address from the old address's mail, and from settings", async ({
      page,
      browser,
    }) => {
      const email = uniqueEmail(javaScript ? "cancel-js" : "cancel-plain");
      const thief = uniqueEmail(javaScript ? "thief-js" : "thief-plain");
      const second = uniqueEmail(javaScript ? "second-js" : "second-plain");
      await signUp(page, email);
      await openSettings(page);

      const change = page.locator("form", { has: page.getByRole("button", { name: "Send a confirmation link" }) });
      const pending = page.locator("form", { has: page.getByRole("button", { name: "Cancel the change" }) });
      async function askFor(newEmail: string): Promise<void> {
        await change.getByLabel("New email address").fill(newEmail);
        await change.getByRole("button", { name: "Send a confirmation link" }).click();
        await expect(change.getByLabel("Your password")).toBeVisible();
        await ready(page);
        await change.getByLabel("Your password").fill(PASSWORD);
        await change.getByRole("button", { name: "Send a confirmation link" }).click();
        await expect(page.getByRole("status").filter({ hasText: "We sent a link to the new address" })).toBeVisible();
      }

      // Someone at this browser asks to move the account to their address:
      // the settings show the change as waiting.
      await askFor(thief);
      await expect(pending).toContainText(thief);

      // The current address hears of it, and its link cancels the change,
      // from any browser and with no session.
      const notice = await mailTo(email, "email address was asked for");
      expect(notice.text).not.toContain(thief);
      const elsewhere = await browser.newContext({ javaScriptEnabled: javaScript });
      const other = await elsewhere.newPage();
      await other.goto(linkIn(notice, "/cancel-email-change"));
      if (javaScript) await hydrated(other);
      await other.getByRole("button", { name: "Cancel the change" }).click();
      await expect(other.getByRole("status")).toContainText("The change is cancelled");
      // The link mailed to the new address no longer works.
      const link = await mailTo(thief, "Confirm your new email address");
      await other.goto(linkIn(link, "/confirm-email"));
      await expect(other.getByRole("alert")).toContainText("expired or was already used");
      await elsewhere.close();
      await page.reload();
      await ready(page);
      await expect(pending).toHaveCount(0);

      // A change can also be cancelled from the settings, with no password.
      await askFor(second);
      await expect(pending).toContainText(second);
      await pending.getByRole("button", { name: "Cancel the change" }).click();
      await expect(page.getByRole("status").filter({ hasText: "The change of address was cancelled" })).toBeVisible();
      await expect(pending).toHaveCount(0);
      await ready(page);
      await page.goto(linkIn(await mailTo(second, "Confirm your new email address"), "/confirm-email"));
      await expect(page.getByRole("alert")).toContainText("expired or was already used");
      await page.goto("/profile");
      await expect(page.locator(".details")).toContainText(email);
      await expect(page.locator(".activity")).toContainText("Email change cancelled");
    });

    test("delete the account", async ({ page }) => {
      const email = uniqueEmail(javaScript ? "delete-js" : "delete-plain");
      await signUp(page, email);
      await openSettings(page);

      const form = page.locator("form", { has: page.getByRole("button", { name: "Delete my account" }) });
      await form.getByLabel("Type your email address to confirm").fill("someone-else@example.com");
      await form.getByRole("button", { name: "Delete my account" }).click();
      await expect(form.getByRole("alert")).toContainText("Type your account's email address exactly");
      await ready(page);
      await form.getByLabel("Type your email address to confirm").fill(email);
      await form.getByRole("button", { name: "Delete my account" }).click();
      await expect(form.getByLabel("Your password")).toBeVisible();
      await ready(page);
      await expect(form.getByLabel("Type your email address to confirm")).toHaveValue(email);
      await form.getByLabel("Your password").fill(PASSWORD);
      await form.getByRole("button", { name: "Delete my account" }).click();

      await expect(page).toHaveURL(/\/\?deleted=1$/);
      await expect(page.getByRole("status")).toContainText("Your account was deleted");
      await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Log in" })).toBeVisible();
      await mailTo(email, "account was deleted");
      await page.goto("/login");
      await ready(page);
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
      await page.getByRole("button", { name: "Log in" }).click();
      await expect(page.getByRole("alert").first()).toContainText("do not match an account");
    });
  });
}
