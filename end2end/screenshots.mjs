// Takes the README's screenshots (make screenshots): starts the release
// server as `make run` does (no SMTP_URL, so mail shows in the local
// mailbox, at the address with a key that the server prints) on
// a free port with a throwaway database, walks through it in Debian's
// Chromium as a new user would, and writes docs/screenshots/*.png. It also
// checks the walk: sign up, open the mailbox, follow the link, and the
// profile says the address is confirmed.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, expect } from "@playwright/test";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const out = path.join(root, "docs", "screenshots");
const binary = process.env.APP_BIN ?? path.join(root, "target", "release", "leptos_accounts");
const siteRoot = process.env.APP_SITE_ROOT ?? path.join(root, "target", "site");
const PASSWORD = "violet kettle marching north";

const data = mkdtempSync(path.join(tmpdir(), "leptos-accounts-shots-"));
const server = spawn(binary, [], {
  env: {
    ...process.env,
    LEPTOS_SITE_ADDR: "127.0.0.1:0",
    LEPTOS_SITE_ROOT: siteRoot,
    LEPTOS_ENV: "PROD",
    DATABASE_URL: `sqlite://${data}/shots.db`,
    SMTP_URL: "",
    RUST_LOG: "warn,leptos_accounts::server=info",
    NO_COLOR: "1",
  },
  stdio: ["ignore", "pipe", "inherit"],
});
const [base, mailbox] = await new Promise((resolve, reject) => {
  let seen = "";
  server.stdout.on("data", (chunk) => {
    seen += chunk;
    const listening = seen.match(/the site is at (http:\/\/[\w.:-]+)/);
    const printed = seen.match(/read it at (http:\/\/\S+\/dev\/mailbox\?key=[\w-]+)/);
    if (listening && printed) resolve([listening[1], printed[1]]);
  });
  server.on("exit", (code) => reject(new Error(`server exited with ${code}:\n${seen}`)));
});

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
try {
  mkdirSync(out, { recursive: true });
  const page = await browser.newPage({ viewport: { width: 1000, height: 760 } });
  const hydrated = () => expect(page.locator("html")).toHaveAttribute("data-hydrated", "");
  const shot = async (name) => {
    await page.screenshot({ path: path.join(out, `${name}.png`), fullPage: true });
    console.log(`screenshot: docs/screenshots/${name}.png`);
  };

  await page.goto(`${base}/`);
  await hydrated();
  await shot("home");

  await page.goto(`${base}/signup`);
  await hydrated();
  await page.getByLabel("Email").fill("ada@example.com");
  await page.getByLabel("Password", { exact: true }).fill("password1234567");
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page.getByRole("alert").first()).toBeVisible();
  await shot("sign-up-with-an-error");

  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Display name (optional)").fill("Ada");
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByText("Your email address is not confirmed yet")).toBeVisible();
  await shot("profile");

  // The sign-up's link, from the local mailbox.
  await page.goto(mailbox);
  await page.getByRole("link", { name: /Confirm your email address/ }).click();
  await page.getByRole("link", { name: /\/verify-email\?token=/ }).click();
  await hydrated();
  await page.getByRole("button", { name: "Confirm my email address" }).click();
  await expect(page.getByRole("status")).toContainText("Your email address is confirmed");
  await page.getByRole("link", { name: "Go to your profile" }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByRole("button", { name: "Send the link again" })).toHaveCount(0);
  await expect(page.locator(".activity")).toContainText("Email address verified");

  // A reset mail, as the mailbox shows it.
  await page.goto(`${base}/forgot-password`);
  await hydrated();
  await page.getByLabel("Email").fill("ada@example.com");
  await page.getByRole("button", { name: "Send the link" }).click();
  await expect(page.getByRole("status")).toContainText("If an account exists");
  await page.goto(mailbox);
  await page.getByRole("link", { name: /Reset your/ }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Reset your");
  await shot("mailbox-with-a-reset-mail");
  console.log("walk-through: signed up, confirmed the address from /dev/mailbox, reset mail shown");
} finally {
  await browser.close();
  server.kill("SIGTERM");
  await new Promise((resolve) => server.on("exit", resolve));
  rmSync(data, { recursive: true, force: true });
}
