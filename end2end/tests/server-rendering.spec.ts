import { test, expect } from "./fixtures";

// With JavaScript off, every page still arrives complete from the server.
test.describe("with JavaScript disabled", () => {
  test.use({ javaScriptEnabled: false });

  const pages = [
    { path: "/", title: "Home · Leptos Accounts", heading: "Accounts, done properly" },
    { path: "/signup", title: "Sign up · Leptos Accounts", heading: "Sign up" },
    { path: "/login", title: "Log in · Leptos Accounts", heading: "Log in" },
  ];

  for (const { path, title, heading } of pages) {
    test(`${path} is rendered on the server`, async ({ page }) => {
      const response = await page.goto(path);
      expect(response?.status()).toBe(200);
      await expect(page).toHaveTitle(title);
      await expect(page.getByRole("heading", { level: 1 })).toHaveText(heading);

      const nav = page.getByRole("navigation", { name: "Main" });
      await expect(nav.getByRole("link", { name: "Home" })).toHaveAttribute("href", "/");
      await expect(nav.getByRole("link", { name: "Sign up" })).toHaveAttribute("href", "/signup");
      await expect(nav.getByRole("link", { name: "Log in" })).toHaveAttribute("href", "/login");
      await expect(page.locator("footer")).toBeVisible();
      await expect(page.locator("html")).toHaveAttribute("lang", "en");
      await expect(page.locator('meta[name="description"]')).toHaveCount(1);
      // Nothing hydrated the page.
      await expect(page.locator("html")).not.toHaveAttribute("data-hydrated", "");
    });
  }

  test("links navigate by loading the next page from the server", async ({ page }) => {
    await page.goto("/");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Log in" }).click();
    await expect(page).toHaveURL(/\/login$/);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Log in");
  });

  test("controls that need JavaScript are hidden", async ({ page }) => {
    await page.goto("/login");
    await expect(page.getByLabel("Password", { exact: true })).toBeVisible();
    await expect(page.getByRole("button", { name: /show password/i })).toBeHidden();
  });
});
