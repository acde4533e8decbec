import { test, expect, hydrated } from "./fixtures";

test("the page hydrates and becomes interactive", async ({ page }) => {
  await page.goto("/login");
  await hydrated(page);

  const password = page.getByLabel("Password", { exact: true });
  const toggle = page.getByRole("button", { name: /show password/i });
  await password.fill("correct horse battery staple");
  await expect(password).toHaveAttribute("type", "password");
  await toggle.click();
  await expect(password).toHaveAttribute("type", "text");
  await expect(page.getByRole("button", { name: /hide password/i })).toHaveAttribute(
    "aria-pressed",
    "true",
  );
  await page.getByRole("button", { name: /hide password/i }).click();
  await expect(password).toHaveAttribute("type", "password");
  await expect(password).toHaveValue("correct horse battery staple");
});

test("links navigate on the client without reloading the document", async ({ page }) => {
  await page.goto("/");
  await hydrated(page);
  // A value on `window` survives only as long as the document does.
  await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
  let documentRequests = 0;
  page.on("request", (request) => {
    if (request.resourceType() === "document") documentRequests += 1;
  });

  const nav = page.getByRole("navigation", { name: "Main" });
  for (const [name, path, heading] of [
    ["Sign up", "/signup", "Sign up"],
    ["Log in", "/login", "Log in"],
    ["Home", "/", "Accounts, done properly"],
  ] as const) {
    await nav.getByRole("link", { name }).click();
    await expect(page).toHaveURL(new RegExp(`${path.replace("/", "\\/")}$`));
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(heading);
    await expect(nav.getByRole("link", { name })).toHaveAttribute("aria-current", "page");
  }

  await page.goBack();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Log in");

  expect(documentRequests, "document requests after the first load").toBe(0);
  expect(
    await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument),
  ).toBe(true);
});

test("every page loads without console errors and hydrates", async ({ page }) => {
  for (const path of [
    "/",
    "/signup",
    "/signup/",
    "/login",
    "/forgot-password",
    "/login-link",
    "/login-link?token=x",
    "/external-sign-in",
    "/external-sign-in?failed=expired",
    "/reset-password?token=x",
    "/verify-email?token=x",
    "/confirm-email?token=x",
    "/cancel-email-change?token=x",
    "/no-such-page",
  ]) {
    await page.goto(path);
    await hydrated(page);
    await expect(page).toHaveTitle(/· Leptos Accounts$/);
  }

  // A first visit to a lazily loaded page that needs a signed-in user.
  const email = `hydrate-${Date.now()}@example.com`;
  const created = await page.request.post("/api/auth/signup", {
    form: { email, password: "violet kettle marching north", display_name: "" },
    headers: { accept: "application/json", origin: process.env.APP_BASE_URL ?? "" },
  });
  expect(created.status()).toBe(200);
  await page.goto("/profile");
  await hydrated(page);
  await expect(page).toHaveTitle("Profile · Leptos Accounts");
  // Only the hydrated form confirms a save in place.
  await page.getByLabel("Display name", { exact: true }).fill("Grace");
  await page.getByRole("button", { name: "Save display name" }).click();
  await expect(page.getByRole("status")).toHaveText("Your display name was saved.");
  // And a first visit to the settings, which share that page's code.
  await page.goto("/settings");
  await hydrated(page);
  await expect(page).toHaveTitle("Settings · Leptos Accounts");
});

test("the title follows client-side navigation", async ({ page }) => {
  await page.goto("/");
  await hydrated(page);
  await page.getByRole("link", { name: "Create an account" }).click();
  await expect(page).toHaveTitle("Sign up · Leptos Accounts");
});

test("pages hydrate under a nonce-based Content Security Policy", async ({ page }) => {
  // Any CSP violation is logged as a console error, which fails every test;
  // this one also checks that the policy is really there.
  const response = await page.goto("/login");
  const policy = response?.headers()["content-security-policy"] ?? "";
  expect(policy).toMatch(/script-src 'nonce-[\w-]+' 'strict-dynamic' 'wasm-unsafe-eval'/);
  const nonce = policy.match(/'nonce-([\w-]+)'/)?.[1];
  await hydrated(page);
  const second = await page.request.get("/login");
  expect(second.headers()["content-security-policy"]).not.toContain(`'nonce-${nonce}'`);
});
