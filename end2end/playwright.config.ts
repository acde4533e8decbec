import { defineConfig } from "@playwright/test";

// The browser comes from Debian (`apt-get install chromium`): Playwright's own
// browser download is not available everywhere we build. The flags keep a
// sandboxed CI machine from reaching out to Google's services.
const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export default defineConfig({
  testDir: "./tests",
  // Starts the release server on a free port with a throwaway database and
  // exports its address as APP_BASE_URL for the workers.
  globalSetup: "./global-setup.ts",
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 2,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [["list"], ["./summary-reporter.ts"]],
  use: {
    baseURL: process.env.APP_BASE_URL,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: chromium,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [{ name: "chromium", use: { browserName: "chromium" } }],
});
