// Islands, measured (make bench): the same page served by the product and
// by its islands version (bench/login-islands), each loaded in Chromium
// with an empty cache. Prints, for each, the first load of /login (every
// response body, brotli quality 11, as the product serves its assets; the
// islands server sends them uncompressed, so bodies are compressed here
// for both alike, and headers are left out) and whether following the
// header's "Log in" link from / keeps the document (a client-side
// navigation) with the form working after it.
// Usage: node bench/islands.js OUT.json PRODUCT_URL ISLANDS_URL
const { createRequire } = require("module");
const zlib = require("zlib");
const fs = require("fs");
const { chromium } = createRequire(`${__dirname}/../end2end/`)("@playwright/test");

const [out, productUrl, islandsUrl] = process.argv.slice(2);
const launch = {
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
};

const brotli = (body) =>
  zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;

async function measure(browser, base) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const bodies = [];
  page.on("response", (response) => bodies.push(response));
  await page.goto(`${base}/login`, { waitUntil: "networkidle" });
  // Hydrated: the form's "Show" button works.
  await page.locator("button[aria-controls=password]").click();
  await page.locator("#password[type=text]").waitFor();
  const files = [];
  for (const response of bodies) {
    const body = await response.body().catch(() => null);
    if (body) files.push({ url: new URL(response.url()).pathname, brotli: brotli(body) });
  }
  const firstLoad = files.reduce((sum, file) => sum + file.brotli, 0);

  // From / to /login by the header's link, in a fresh page.
  const nav = await context.newPage();
  await nav.goto(`${base}/`, { waitUntil: "networkidle" });
  await nav.evaluate(() => { window.__sameDocument = true; });
  await nav.getByRole("navigation").getByRole("link", { name: "Log in" }).click();
  await nav.getByRole("heading", { name: "Log in" }).waitFor();
  const keptDocument = await nav.evaluate(() => window.__sameDocument === true);
  await nav.locator("button[aria-controls=password]").click();
  const formWorks = await nav
    .locator("#password[type=text]")
    .waitFor({ timeout: 5000 })
    .then(() => true, () => false);
  await context.close();
  return { first_load_bytes: firstLoad, files, navigation_keeps_document: keptDocument,
    form_works_after_navigation: formWorks };
}

(async () => {
  const browser = await chromium.launch(launch);
  const result = {
    product: await measure(browser, productUrl),
    islands: await measure(browser, islandsUrl),
  };
  await browser.close();
  fs.writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
  console.log(`${"/login, first load in Chromium (bodies, brotli)".padEnd(52)} ${"product".padStart(10)} ${"islands".padStart(10)}`);
  for (const kind of ["html", "css", "js", "wasm"]) {
    const sum = (files) => files
      .filter((f) => (kind === "html" ? !/\.\w+$/.test(f.url) : f.url.endsWith(`.${kind}`)))
      .reduce((s, f) => s + f.brotli, 0);
    console.log(`  ${kind.padEnd(50)} ${String(sum(result.product.files)).padStart(10)} ${String(sum(result.islands.files)).padStart(10)}`);
  }
  console.log(`  ${"total".padEnd(50)} ${String(result.product.first_load_bytes).padStart(10)} ${String(result.islands.first_load_bytes).padStart(10)}`);
  const yes = (value) => (value ? "yes" : "no");
  console.log(`${"/ -> /login by link keeps the document".padEnd(52)} ${yes(result.product.navigation_keeps_document).padStart(10)} ${yes(result.islands.navigation_keeps_document).padStart(10)}`);
  console.log(`${"the form works after that navigation".padEnd(52)} ${yes(result.product.form_works_after_navigation).padStart(10)} ${yes(result.islands.form_works_after_navigation).padStart(10)}`);
})().catch((error) => { console.error(error); process.exit(1); });
