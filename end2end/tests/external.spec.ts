import { test, expect, hydrated, uniqueEmail, PASSWORD } from "./fixtures";
import { mailTo, linkIn } from "./mail";
import { totp } from "./totp";
import { account, accountWithApp } from "./api";
import type { Page } from "@playwright/test";

// "Continue with Acme ID", with JavaScript on and off, against a real
// OpenID provider (oidc-provider, started by global-setup): its own login
// and consent pages are filled in as a person would. The login typed
// there is the person's address (see oidc/provider.mjs).

const nav = (page: Page) => page.getByRole("navigation", { name: "Main" });

for (const javaScript of [true, false]) {
  test.describe(javaScript ? "with JavaScript" : "without JavaScript", () => {
    test.use({ javaScriptEnabled: javaScript });

    async function ready(page: Page): Promise<void> {
      if (javaScript) await hydrated(page);
    }

    /** From /login to the provider, signing in there as `email` on a first
     * visit (a later one goes straight back). */
    async function continueWithAcme(page: Page, email: string, firstVisit = true): Promise<void> {
      await page.goto("/login");
      await ready(page);
      await page.getByRole("button", { name: "Continue with Acme ID" }).click();
      if (!firstVisit) return;
      await expect(page).toHaveURL(new RegExp(`^${process.env.OIDC_ISSUER_URL}/interaction/`));
      await page.getByPlaceholder("Enter any login").fill(email);
      await page.getByPlaceholder("and password").fill("anything at the provider");
      await page.getByRole("button", { name: "Sign-in" }).click();
      await expect(page.getByRole("heading", { name: "Authorize" })).toBeVisible();
      await page.getByRole("button", { name: "Continue" }).click();
    }

    async function logOut(page: Page): Promise<void> {
      await nav(page).getByRole("button", { name: "Log out" }).click();
      await expect(nav(page).getByRole("link", { name: "Log in" })).toBeVisible();
    }

    test("the first sign-in makes an account, the next one reaches it", async ({ page }) => {
      const email = uniqueEmail(javaScript ? "acme-js" : "acme-plain");
      const started = Date.now();
      await continueWithAcme(page, email);
      await expect(page).toHaveURL(/\/external-sign-in$/);
      await expect(page.getByRole("heading", { level: 1 })).toHaveText("Create your account");
      await ready(page);
      await expect(page.locator("form")).toContainText(email);
      await page.getByLabel("Display name (optional)").fill("Acme Person");
      await page.getByRole("button", { name: "Create my account" }).click();
      await expect(page).toHaveURL(/\/profile$/);
      console.log(`provider round trip, first sign-in to profile: ${Date.now() - started} ms`);
      await expect(page.locator(".details")).toContainText(email);
      await expect(page.locator(".details")).toContainText("Acme Person");

      await logOut(page);
      const again = Date.now();
      await continueWithAcme(page, email, false);
      await expect(page).toHaveURL(/\/profile$/);
      console.log(`provider round trip, returning sign-in: ${Date.now() - again} ms`);
      await expect(page.locator(".details")).toContainText(email);
      await expect(page.locator(".activity")).toContainText("Logged in through an external provider");
    });

    test("an address with an account is linked after proof by mail, then unlinked", async ({
      page,
      browser,
    }) => {
      const email = uniqueEmail(javaScript ? "acme-link-js" : "acme-link-plain");
      await account(browser, email);
      await continueWithAcme(page, email);
      await expect(page.getByRole("heading", { level: 1 })).toHaveText(
        "This address already has an account",
      );
      await ready(page);
      await page.getByRole("button", { name: "Email me the link" }).click();
      await expect(page.getByRole("status")).toContainText("We sent a link to");
      const link = linkIn(await mailTo(email, "Link Acme ID"), "/external-sign-in");
      await page.goto(link);
      await ready(page);
      await page.getByRole("button", { name: "Link and sign in" }).click();
      await expect(page).toHaveURL(/\/profile$/);

      // Settings list it; unlinking asks for the password (sudo lasts no time here).
      await page.goto("/settings#sign-ins");
      await ready(page);
      const section = page.locator("ul.passkeys").filter({ hasText: "Acme ID" });
      await expect(section).toContainText(email);
      const unlink = page.getByRole("button", { name: `Unlink Acme ID (${email})` });
      await unlink.click();
      // The prompt offers the linked provider as well as the password.
      await page.getByRole("button", { name: "Confirm with Acme ID instead" }).click();
      await expect(page).toHaveURL(/\/settings\?identity=confirmed$/);
      await expect(page.getByText("You confirmed it is you.")).toBeVisible();
      await ready(page);
      await unlink.click();
      await page.getByLabel("Your password").fill(PASSWORD);
      await unlink.click();
      await expect(page.getByText("The sign-in was unlinked.").first()).toBeVisible();
      await expect(page.getByText("None is linked yet.")).toBeVisible();
    });

    test("an address with an account is linked after logging in to it", async ({
      page,
      browser,
    }) => {
      const email = uniqueEmail(javaScript ? "acme-login-js" : "acme-login-plain");
      await account(browser, email);
      await continueWithAcme(page, email);
      await page.getByRole("link", { name: "Log in to your account" }).click();
      await expect(page).toHaveURL(/\/login\?next=/);
      await ready(page);
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
      await page.getByRole("button", { name: "Log in" }).click();
      await expect(page).toHaveURL(/\/external-sign-in$/);
      await ready(page);
      // Linking asks for the password (sudo mode lasts no time here).
      const link = page.getByRole("button", { name: "Link this sign-in" });
      await link.click();
      await page.getByLabel("Your password").fill(PASSWORD);
      await link.click();
      await expect(page).toHaveURL(/\/settings\?identity=linked/);
      await expect(page.getByText("The sign-in was linked.")).toBeVisible();

      await logOut(page);
      await continueWithAcme(page, email, false);
      await expect(page).toHaveURL(/\/profile$/);
    });

    test("an account with an authenticator app is asked for its code after the provider", async ({
      page,
      browser,
    }) => {
      const email = uniqueEmail(javaScript ? "acme-totp-js" : "acme-totp-plain");
      const { secret, recoveryCodes } = await accountWithApp(browser, email);
      await continueWithAcme(page, email);
      await page.getByRole("button", { name: "Email me the link" }).click();
      const link = linkIn(await mailTo(email, "Link Acme ID"), "/external-sign-in");
      await page.goto(link);
      await ready(page);
      await page.getByRole("button", { name: "Link and sign in" }).click();
      await expect(page).toHaveURL(/\/login-code/);
      await ready(page);
      await page.getByLabel("Enter the code from your app").fill(totp(secret, 1));
      await page.getByRole("button", { name: "Log in" }).click();
      await expect(page).toHaveURL(/\/profile$/);

      // Signing in through the provider again asks again. (The app's next
      // code is 30 s away: each works once, so a recovery code answers.)
      await logOut(page);
      await continueWithAcme(page, email, false);
      await expect(page).toHaveURL(/\/login-code/);
      await expect(page.getByRole("heading", { level: 1 })).toHaveText("Two-step log-in");
      await ready(page);
      await page.getByRole("link", { name: "Use a recovery code" }).click();
      await ready(page);
      await page.getByLabel("Recovery code").fill(recoveryCodes[0]);
      await page.getByRole("button", { name: "Log in" }).click();
      await expect(page).toHaveURL(/\/settings/);
    });

    test("declining at the provider says so and offers the other ways in", async ({ page }) => {
      await page.goto("/login");
      await ready(page);
      await page.getByRole("button", { name: "Continue with Acme ID" }).click();
      await page.getByRole("link", { name: "[ Cancel ]" }).click();
      await expect(page).toHaveURL(/\/external-sign-in\?failed=denied$/);
      await expect(page.getByRole("alert")).toContainText("You did not allow the sign-in");
      await expect(page.getByRole("link", { name: "Email me a sign-in link" })).toBeVisible();
    });
  });
}
