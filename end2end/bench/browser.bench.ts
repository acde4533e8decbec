import { test, expect, type Page, type BrowserContext } from "@playwright/test";
import { writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";

// Time from navigation start to hydrated (the data-hydrated marker) and the
// bytes transferred per file, for a first visit with an empty cache,
// unthrottled and under a slow-phone profile (150 ms latency, 1.6 Mbit/s
// down, 750 kbit/s up, 4x CPU slow-down) applied through CDP.
const PASSWORD = "violet kettle marching north";
const PAGES = ["/", "/login", "/profile"];
const PROFILES = {
  unthrottled: null,
  "slow phone": { latency: 150, down: 1_600_000 / 8, up: 750_000 / 8, cpu: 4 },
} as const;

type Row = { page: string; profile: string; hydrated_ms: number; total_bytes: number; files: Record<string, number> };
const rows: Row[] = [];

async function signedInContext(context: BrowserContext): Promise<void> {
  const email = `bench-${Date.now()}@example.com`;
  const response = await context.request.post("/api/auth/signup", {
    form: { email, password: PASSWORD, display_name: "Bench" },
    headers: { accept: "application/json", origin: process.env.APP_BASE_URL ?? "" },
  });
  expect(response.status()).toBe(200);
}

async function measure(page: Page, url: string): Promise<Omit<Row, "page" | "profile">> {
  const files: Record<string, number> = {};
  page.on("requestfinished", async (request) => {
    const sizes = await request.sizes();
    const name = new URL(request.url()).pathname.replace(/\.[\w-]{22}\./, ".<hash>.");
    files[name] = (files[name] ?? 0) + sizes.responseBodySize + sizes.responseHeadersSize;
  });
  // Record the moment the marker appears, in the page's own clock.
  await page.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (document.documentElement.hasAttribute("data-hydrated")) {
        (window as unknown as { hydratedAt: number }).hydratedAt = performance.now();
        observer.disconnect();
      }
    }).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-hydrated"] });
  });
  await page.goto(url);
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "", { timeout: 60_000 });
  await page.waitForLoadState("networkidle");
  const hydrated = await page.evaluate(() => (window as unknown as { hydratedAt: number }).hydratedAt);
  const total = Object.values(files).reduce((sum, bytes) => sum + bytes, 0);
  return { hydrated_ms: Math.round(hydrated), total_bytes: total, files };
}

for (const [profile, conditions] of Object.entries(PROFILES)) {
  for (const url of PAGES) {
    test(`${url} ${profile}`, async ({ browser }) => {
      const context = await browser.newContext({ baseURL: process.env.APP_BASE_URL });
      if (url === "/profile") await signedInContext(context);
      const page = await context.newPage();
      if (conditions) {
        const cdp = await context.newCDPSession(page);
        await cdp.send("Network.enable");
        await cdp.send("Network.emulateNetworkConditions", {
          offline: false,
          latency: conditions.latency,
          downloadThroughput: conditions.down,
          uploadThroughput: conditions.up,
        });
        await cdp.send("Emulation.setCPUThrottlingRate", { rate: conditions.cpu });
      }
      rows.push({ page: url, profile, ...(await measure(page, url)) });
      await context.close();
    });
  }
}

test.afterAll(() => {
  const out = path.resolve(__dirname, "../../bench/results/browser.json");
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), runs: rows }, null, 2));
  console.log(`\n${"page".padEnd(10)} ${"profile".padEnd(12)} ${"hydrated ms".padStart(12)} ${"bytes".padStart(9)}`);
  for (const row of rows) {
    console.log(`${row.page.padEnd(10)} ${row.profile.padEnd(12)} ${String(row.hydrated_ms).padStart(12)} ${String(row.total_bytes).padStart(9)}`);
  }
  const files = rows.find((row) => row.page === "/login" && row.profile === "unthrottled")?.files ?? {};
  console.log("\n/login, bytes transferred per file:");
  for (const [name, bytes] of Object.entries(files)) console.log(`  ${name.padEnd(44)} ${String(bytes).padStart(9)}`);
  console.log(`results: ${out}`);
});
