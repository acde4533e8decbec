import { test, expect, hydrated, PASSWORD } from "./fixtures";

// A server started as `make run` starts it, without SMTP_URL (global-setup
// starts it at APP_LOCAL_URL), keeps its mail in a local mailbox. The
// address it prints at start-up, with this start's key, opens it; the same
// path without the key is not there.

test.use({ baseURL: process.env.APP_LOCAL_URL });

test("the mailbox address printed at start-up shows the mail; the bare path does not", async ({
  page,
}) => {
  const printed = process.env.APP_MAILBOX_URL!;
  expect(printed).toMatch(/^http:\/\/localhost:\d+\/dev\/mailbox\?key=[\w-]{43}$/);
  const email = `local-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;

  await page.goto("/signup");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/\/profile$/);

  for (const path of ["/dev/mailbox", "/dev/mailbox?key=", `/dev/mailbox?key=${"A".repeat(43)}`]) {
    const refused = await page.goto(path);
    expect(refused?.status(), path).toBe(404);
    // The not-found page any unknown address gets, and no mail on it.
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Page not found");
    await expect(page.getByRole("main").getByText(email)).toHaveCount(0);
  }

  const mailbox = await page.goto(printed);
  expect(mailbox?.status()).toBe(200);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Mailbox");
  await page
    .getByRole("row", { name: new RegExp(email.replace(/[.+]/g, "\\$&")) })
    .getByRole("link", { name: /Confirm your email address/ })
    .click();
  await expect(page.getByRole("definition").first()).toHaveText(email);
  await page.getByRole("link", { name: /\/verify-email\?token=/ }).click();
  await hydrated(page);
  await page.getByRole("button", { name: "Confirm my email address" }).click();
  await expect(page.getByRole("status")).toContainText("Your email address is confirmed");
});
