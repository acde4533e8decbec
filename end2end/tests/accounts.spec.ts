import { test, expect, hydrated, uniqueEmail, PASSWORD } from "./fixtures";
import type { Page } from "@playwright/test";

const nav = (page: Page) => page.getByRole("navigation", { name: "Main" });

for (const javaScript of [true, false]) {
  test.describe(javaScript ? "with JavaScript" : "without JavaScript", () => {
    test.use({ javaScriptEnabled: javaScript });

    // After the first load, a JavaScript page never reloads the document;
    // a page without JavaScript posts forms and follows 303s.
    async function ready(page: Page): Promise<void> {
      if (javaScript) await hydrated(page);
    }

    test("sign up, change the display name, log out, log in again", async ({ page }) => {
      const email = uniqueEmail(javaScript ? "js" : "plain");
      await page.goto("/signup");
      await ready(page);
      let documentLoads = 0;
      page.on("request", (request) => {
        if (request.resourceType() === "document") documentLoads += 1;
      });

      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
      await page.getByRole("button", { name: "Sign up" }).click();
      await expect(page).toHaveURL(/\/profile$/);
      await expect(page.locator(".details")).toContainText(email);
      await expect(nav(page).getByRole("link", { name: email })).toBeVisible();
      await expect(nav(page).getByRole("link", { name: "Sign up" })).toHaveCount(0);

      await page.getByLabel("Display name", { exact: true }).fill("Ada Lovelace");
      await page.getByRole("button", { name: "Save display name" }).click();
      await expect(nav(page).getByRole("link", { name: "Ada Lovelace" })).toBeVisible();
      await expect(page.locator(".details")).toContainText("Ada Lovelace");
      if (javaScript) {
        // The form survives the new name and confirms the save.
        await expect(page.getByRole("status")).toHaveText("Your display name was saved.");
        await expect(page.getByLabel("Display name", { exact: true })).toHaveValue("Ada Lovelace");
      }

      await nav(page).getByRole("button", { name: "Log out" }).click();
      await expect(nav(page).getByRole("link", { name: "Log in" })).toBeVisible();
      await expect(nav(page).getByRole("button", { name: "Log out" })).toHaveCount(0);

      await nav(page).getByRole("link", { name: "Log in" }).click();
      await expect(page.getByRole("heading", { level: 1 })).toHaveText("Log in");
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password", { exact: true }).fill("definitely not the password");
      await page.getByRole("button", { name: "Log in" }).click();
      await expect(page.getByRole("alert")).toContainText("do not match an account");
      await expect(page.getByLabel("Email")).toHaveValue(email);
      if (!javaScript) {
        // The server never sends a password back.
        await expect(page.getByLabel("Password", { exact: true })).toHaveValue("");
      }

      await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
      await page.getByRole("button", { name: "Log in" }).click();
      await expect(page).toHaveURL(/\/profile$/);
      await expect(page.locator(".details")).toContainText("Ada Lovelace");
      await expect(nav(page).getByRole("link", { name: "Ada Lovelace" })).toBeVisible();

      if (javaScript) expect(documentLoads, "document loads after the first").toBe(0);
      else expect(documentLoads).toBeGreaterThan(0);
    });

    test("an anonymous visit to the profile goes through log-in and back", async ({ page, request }) => {
      const email = uniqueEmail(javaScript ? "next-js" : "next-plain");
      const created = await request.post("/api/auth/signup", {
        form: { email, password: PASSWORD, display_name: "" },
        headers: { accept: "application/json", origin: process.env.APP_BASE_URL ?? "" },
      });
      expect(created.status()).toBe(200);

      await page.goto("/profile");
      await expect(page).toHaveURL(/\/login\?next=\/profile$/);
      await ready(page);
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
      await page.getByRole("button", { name: "Log in" }).click();
      await expect(page).toHaveURL(/\/profile$/);
      await expect(page.locator(".details")).toContainText(email);
    });

    test("repeated wrong passwords are paused with a clear message", async ({ page, request }) => {
      const email = uniqueEmail(javaScript ? "pause-js" : "pause-plain");
      await request.post("/api/auth/signup", {
        form: { email, password: PASSWORD, display_name: "" },
        headers: { accept: "application/json", origin: process.env.APP_BASE_URL ?? "" },
      });
      await page.goto("/login");
      await ready(page);
      for (let attempt = 1; attempt <= 6; attempt++) {
        await page.getByLabel("Email").fill(email);
        await page.getByLabel("Password", { exact: true }).fill("wrong password, again");
        // Wait for each answer: a click while the form is pending is ignored.
        await Promise.all([
          page.waitForResponse((response) => response.url().includes("/api/auth/login")),
          page.getByRole("button", { name: "Log in" }).click(),
        ]);
        const expected =
          attempt < 6
            ? "do not match an account"
            : /Too many failed log-ins for this email address: try again in \d+ (second|seconds|minutes)/;
        await expect(page.getByRole("alert")).toContainText(expected);
      }
      await expect(page.getByRole("alert")).toContainText("from a browser you have used with it before");
    });

    test("a stranger's guesses never lock the owner out of their own browser", async ({ page, browser }) => {
      const email = uniqueEmail(javaScript ? "owner-js" : "owner-plain");
      // The owner signs up here: this browser now carries a device cookie.
      await page.goto("/signup");
      await ready(page);
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
      await page.getByRole("button", { name: "Sign up" }).click();
      await expect(page).toHaveURL(/\/profile$/);
      await nav(page).getByRole("button", { name: "Log out" }).click();
      await expect(nav(page).getByRole("link", { name: "Log in" })).toBeVisible();

      // A stranger, in another browser, guesses until the address is locked.
      const strangers = await browser.newContext({ javaScriptEnabled: javaScript });
      const stranger = await strangers.newPage();
      await stranger.goto("/login");
      if (javaScript) await hydrated(stranger);
      for (let attempt = 1; attempt <= 6; attempt++) {
        await stranger.getByLabel("Email").fill(email);
        await stranger.getByLabel("Password", { exact: true }).fill("a guess that is wrong");
        await Promise.all([
          stranger.waitForResponse((response) => response.url().includes("/api/auth/login")),
          stranger.getByRole("button", { name: "Log in" }).click(),
        ]);
      }
      await expect(stranger.getByRole("alert")).toContainText("Too many failed log-ins");
      await strangers.close();

      // The owner logs in from their own browser at once.
      await nav(page).getByRole("link", { name: "Log in" }).click();
      await expect(page.getByRole("heading", { level: 1 })).toHaveText("Log in");
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
      await page.getByRole("button", { name: "Log in" }).click();
      await expect(page).toHaveURL(/\/profile$/);
      await expect(page.locator(".details")).toContainText(email);
    });

    test("sign-up problems are shown next to the fields and keep what was typed", async ({ page }) => {
      await page.goto("/signup");
      await ready(page);
      await page.getByLabel("Email").fill("not an email");
      await page.getByLabel("Password", { exact: true }).fill("too short");
      await page.getByLabel("Display name (optional)").fill("Grace");
      await page.getByRole("button", { name: "Sign up" }).click();

      const email = page.getByLabel("Email");
      await expect(email).toHaveAttribute("aria-invalid", "true");
      await expect(page.locator("#email-error")).toHaveText(/name@example\.com/);
      await expect(page.locator("#password-error")).toHaveText(/at least 15 characters \(this one has 9\)/);
      await expect(email).toHaveAttribute("aria-describedby", "email-error");
      await expect(page.getByRole("alert")).toContainText("2 problems");
      await expect(email).toHaveValue("not an email");
      await expect(page.getByLabel("Display name (optional)")).toHaveValue("Grace");
      if (javaScript) {
        // Keyboard and screen-reader users land on the summary.
        await expect(page.getByRole("alert")).toBeFocused();
      }
    });
  });
}

test("a ?next= the in-app router cannot reach falls back to the profile", async ({ page, request }) => {
  const email = uniqueEmail("next-unclean");
  const created = await request.post("/api/auth/signup", {
    form: { email, password: PASSWORD, display_name: "" },
    headers: { accept: "application/json", origin: process.env.APP_BASE_URL ?? "" },
  });
  expect(created.status()).toBe(200);
  await page.context().clearCookies();
  await page.goto("/login?next=/.//evil.example");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/^http:\/\/localhost:\d+\/profile$/);
  await expect(page.locator(".details")).toContainText(email);
  // The app is alive: it still navigates in place.
  await nav(page).getByRole("link", { name: "Home" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(nav(page).getByRole("link", { name: email })).toBeVisible();
});

test("the nav follows account actions without a reload", async ({ page }) => {
  const email = uniqueEmail("nav");
  await page.goto("/signup");
  await hydrated(page);
  await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  const button = page.getByRole("button", { name: /Sign up|Creating/ });
  await button.click();
  await expect(nav(page).getByRole("link", { name: email })).toBeVisible();
  await nav(page).getByRole("button", { name: "Log out" }).click();
  await expect(nav(page).getByRole("link", { name: "Sign up" })).toBeVisible();

  // After hydration, an anonymous visit to the profile is redirected in the
  // browser, without a request for a new document.
  await page.evaluate(() => {
    const link = document.createElement("a");
    link.href = "/profile";
    link.textContent = "Open profile";
    document.querySelector("main")?.append(link);
  });
  await page.getByRole("link", { name: "Open profile" }).click();
  await expect(page).toHaveURL(/\/login\?next=\/profile$/);
  expect(
    await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument),
  ).toBe(true);
});
