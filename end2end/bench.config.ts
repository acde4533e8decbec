import { defineConfig } from "@playwright/test";
import base from "./playwright.config";

// The browser benchmark (make bench): same server set-up and browser as the
// tests, one worker so that timings do not compete.
export default defineConfig({
  ...base,
  testDir: "./bench",
  testMatch: /.*\.bench\.ts$/,
  workers: 1,
  fullyParallel: false,
  reporter: [["list"]],
  timeout: 120_000,
});
