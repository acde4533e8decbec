import { test, expect, hydrated, uniqueEmail, PASSWORD } from "./fixtures";
import type { CDPSession, Page } from "@playwright/test";

// Passkeys as a person uses them, in Chromium's own WebAuthn code: a
// virtual authenticator (CDP's WebAuthn domain: CTAP2, built in, with
// resident keys and user verification) stands in for the device's
// screen lock. Nothing replaces navigator.credentials. The server runs
// with SUDO_MINUTES=0, so each change in settings asks for the password.

const nav = (page: Page) => page.getByRole("navigation", { name: "Main" });

/** A device with a screen lock that the person always unlocks. */
async function addDevice(page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable", { enableUI: false });
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

async function signUp(page: Page, email: string): Promise<void> {
  await page.goto("/signup");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/\/profile$/);
}

/** Logs out from the home page: from settings the browser would go on to
 * /login, whose autofill the virtual device answers at once. */
async function logOut(page: Page): Promise<void> {
  await page.goto("/");
  await hydrated(page);
  await nav(page).getByRole("button", { name: "Log out" }).click();
  await expect(nav(page).getByRole("button", { name: "Log out" })).toHaveCount(0);
}

/** Adds a passkey named `name` in settings, giving the password when asked. */
async function addPasskey(page: Page, name: string, firstPasskey = true): Promise<void> {
  await page.goto("/settings");
  await hydrated(page);
  const form = page.locator("form", { has: page.getByLabel("Name the new passkey") });
  await form.getByLabel("Name the new passkey").fill(name);
  await form.getByRole("button", { name: "Add a passkey" }).click();
  // Sudo mode has lapsed: the same form asks for the password, keeping the name.
  await form.getByLabel("Your password").fill(PASSWORD);
  if (firstPasskey) {
    // No passkey yet, so none is offered instead of the password.
    await expect(form.getByRole("button", { name: "Use a passkey instead" })).toBeHidden();
  }
  await expect(form.getByLabel("Name the new passkey")).toHaveValue(name);
  await form.getByRole("button", { name: "Add a passkey" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Passkey added." })).toBeVisible();
  await expect(page.locator(".passkeys li", { hasText: name })).toContainText("never used");
}

test.describe("with JavaScript", () => {
  test("add a passkey, sign in with it by the button and by the autofill, rename it, remove it", async ({
    page,
  }) => {
    const { cdp, authenticatorId } = await addDevice(page);
    const email = uniqueEmail("passkey");
    await signUp(page, email);
    await addPasskey(page, "Work laptop");

    // The browser made a discoverable passkey for this site's name.
    const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0].isResidentCredential).toBe(true);
    expect(credentials[0].rpId).toBe("localhost");

    // The autofill: the email field offers the passkey (a conditional
    // request made once the page has hydrated), and the virtual device
    // picks it as soon as it is offered: signed in, with no typing.
    await logOut(page);
    await page.goto("/login?next=/settings");
    await expect(page).toHaveURL(/\/settings$/);
    await expect(nav(page).getByRole("button", { name: "Log out" })).toBeVisible();

    // The button: a device left untouched while the autofill waits, then
    // used through the browser's dialog. No email, no password, no code.
    await logOut(page);
    await cdp.send("WebAuthn.setAutomaticPresenceSimulation", { authenticatorId, enabled: false });
    const offered = page.waitForResponse((response) => response.url().endsWith("/api/auth/passkey/start"));
    await page.goto("/login");
    await hydrated(page);
    await offered;
    // The page hands the options to the browser as soon as they arrive;
    // give it a moment, so that the device is touched for the button only.
    await page.waitForTimeout(1000);
    await cdp.send("WebAuthn.setAutomaticPresenceSimulation", { authenticatorId, enabled: true });
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await expect(page).toHaveURL(/\/profile$/);
    await page.goto("/settings");
    await hydrated(page);

    // Settings shows when it was last used; a bad name is refused and kept.
    const item = page.locator(".passkeys li", { hasText: "Work laptop" });
    await expect(item).toContainText("last used");
    const nameField = item.getByRole("textbox", { name: "Name of the passkey" });
    await nameField.fill("   ");
    await item.getByRole("button", { name: "Rename" }).click();
    // The name is checked first, then sudo mode (lapsed here at once).
    await expect(item.locator(".field__error")).toContainText("Name the passkey in 1 to 60 characters");
    await expect(nameField).toHaveValue("   ");
    await nameField.fill("Old laptop");
    await item.getByRole("button", { name: "Rename" }).click();
    // The prompt offers the passkey instead of the password. The device
    // confirms it is you and the form is sent again; sudo mode lasts no
    // time on this server, so it asks again (the HTTP tests finish an
    // action this way), and the use shows in Recent activity below.
    const before = (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials[0].signCount;
    await item.getByRole("button", { name: "Use a passkey instead" }).click();
    await expect
      .poll(async () => (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials[0].signCount)
      .toBeGreaterThan(before);
    await expect(item.getByLabel("Your password")).toBeVisible();
    await item.getByLabel("Your password").fill(PASSWORD);
    await item.getByRole("button", { name: "Rename" }).click();
    await expect(page.getByRole("status").filter({ hasText: "The passkey was renamed." })).toBeVisible();
    await expect(page.locator(".passkeys li strong")).toHaveText(["Old laptop"]);

    // Remove it: the device still holds the passkey, the site refuses it.
    // (First the list, read again after the rename, replaces the old one:
    // its forms carry no password prompt.)
    const renamed = page.locator(".passkeys li", { hasText: "Old laptop" });
    await expect(renamed.getByLabel("Your password")).toHaveCount(0);
    await renamed.getByRole("button", { name: "Remove the passkey Old laptop" }).click();
    await renamed.getByLabel("Your password").fill(PASSWORD);
    await renamed.getByRole("button", { name: "Remove the passkey Old laptop" }).click();
    await expect(page.getByRole("status").filter({ hasText: "The passkey was removed." })).toBeVisible();
    await expect(page.getByText("You have no passkey yet.")).toBeVisible();
    await page.goto("/profile");
    await expect(page.getByText("Passkey used to change settings")).toBeVisible();

    // (The autofill offers it, the device picks it, the site says no.)
    await logOut(page);
    await page.goto("/login");
    await hydrated(page);
    await expect(page.locator("#passkey-note")).toContainText("The passkey was not accepted");
    await expect(page).toHaveURL(/\/login$/);
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await expect(page.locator("#passkey-note")).toContainText("The passkey was not accepted");
    await expect(page).toHaveURL(/\/login$/);
  });
});

test("leaving /login in the app stops its autofill request and its renewal", async ({ page }) => {
  // The log-in page renews its waiting request every 4 minutes. Once the
  // person has left it (here by logging in with the password, which goes
  // on to /profile without a reload), nothing of it may run: the page's
  // values are gone, and touching them would stop the app (a panic fails
  // this test as a page error).
  await page.clock.install();
  await addDevice(page);
  const email = uniqueEmail("passkey-leave");
  await signUp(page, email);
  await logOut(page);
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await page.clock.runFor(10 * 60 * 1000);
  // The app still runs: in-app navigation renders the next page.
  await nav(page).getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Settings");
  await expect(page.getByRole("heading", { name: "Passkeys" })).toBeVisible();
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the log-in page says passkeys need JavaScript, and shows no button", async ({ page }) => {
    await page.goto("/login");
    await expect(page.getByText("Signing in with a passkey needs JavaScript.")).toBeVisible();
    // What lets a browser with JavaScript offer passkeys in the autofill.
    await expect(page.getByLabel("Email")).toHaveAttribute("autocomplete", "username webauthn");
    await expect(page.getByRole("button", { name: "Sign in with a passkey" })).toBeHidden();
  });

  test("settings renames and removes a passkey with plain forms", async ({ page, browser }) => {
    // The passkey is added with JavaScript, in a browser of its own.
    const email = uniqueEmail("passkey-plain");
    const withJs = await browser.newContext({ javaScriptEnabled: true });
    const jsPage = await withJs.newPage();
    await addDevice(jsPage);
    await signUp(jsPage, email);
    await addPasskey(jsPage, "Phone");
    await withJs.close();

    await page.goto("/login");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page).toHaveURL(/\/profile$/);
    await page.goto("/settings#passkeys");
    await expect(page.getByText("Adding a passkey needs JavaScript.")).toBeVisible();

    const item = page.locator(".passkeys li", { hasText: "Phone" });
    await item.getByRole("textbox", { name: "Name of the passkey" }).fill("Old phone");
    await item.getByRole("button", { name: "Rename" }).click();
    // Sudo mode has lapsed: back with the password field, the name kept.
    await expect(item.getByRole("textbox", { name: "Name of the passkey" })).toHaveValue("Old phone");
    await item.getByLabel("Your password").fill(PASSWORD);
    await item.getByRole("button", { name: "Rename" }).click();
    await expect(page).toHaveURL(/\/settings\?passkey=renamed#passkeys$/);
    await expect(page.getByText("The passkey was renamed.")).toBeVisible();

    const renamed = page.locator(".passkeys li", { hasText: "Old phone" });
    await renamed.getByRole("button", { name: "Remove the passkey Old phone" }).click();
    await renamed.getByLabel("Your password").fill(PASSWORD);
    await renamed.getByRole("button", { name: "Remove the passkey Old phone" }).click();
    await expect(page).toHaveURL(/\/settings\?passkey=removed#passkeys$/);
    await expect(page.getByText("You have no passkey yet.")).toBeVisible();
  });
});
