import { test, expect } from "./fixtures";

// What a first visit to /login costs a browser with an empty cache: every
// response, compressed as served, headers included. Raising this number
// needs a reason in the commit that does it.
//
// The product's goal: 180,000 B (about 179 KB today; the bare-framework
// floor in bench/floor is a 125 KB WASM file alone). It was 200,000 B until
// the router, the forms' actions and the error reader were slimmed down to
// leave room for the log-in page's next features. The README's "Bundle
// size" says where the bytes go.
const BUDGET_BYTES = 180_000;

test("the first load of /login stays within the size budget", async ({ page }) => {
  const transfers: { url: string; bytes: number; encoding: string }[] = [];
  page.on("requestfinished", async (request) => {
    const response = await request.response();
    const sizes = await request.sizes();
    transfers.push({
      url: new URL(request.url()).pathname,
      bytes: sizes.responseBodySize + sizes.responseHeadersSize,
      encoding: response?.headers()["content-encoding"] ?? "identity",
    });
  });
  await page.goto("/login");
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "");
  await page.waitForLoadState("networkidle");

  const total = transfers.reduce((sum, transfer) => sum + transfer.bytes, 0);
  for (const { url, bytes, encoding } of transfers) {
    console.log(`size: ${url.padEnd(56)} ${String(bytes).padStart(8)} B  ${encoding}`);
  }
  console.log(`size: first load of /login: ${total} B (budget ${BUDGET_BYTES} B)`);

  const kinds = transfers.map((transfer) => transfer.url.split(".").pop());
  expect(kinds).toEqual(expect.arrayContaining(["css", "js", "wasm"]));
  // Assets are precompressed; the page itself is compressed on the fly.
  for (const transfer of transfers.filter((t) => /\.(css|js|wasm)$|^\/login$/.test(t.url))) {
    expect(transfer.encoding, `${transfer.url} is served compressed`).toMatch(/^(br|gzip)$/);
  }
  expect(total).toBeLessThanOrEqual(BUDGET_BYTES);
});

test("hashed assets are cached forever, pages are revalidated", async ({ page, request }) => {
  const page_ = await page.goto("/login");
  expect(page_?.headers()["cache-control"]).toBe("no-cache");
  const wasm = await page.locator('link[rel="preload"][href$=".wasm"]').getAttribute("href");
  expect(wasm).toMatch(/^\/pkg\/leptos_accounts\.[\w-]+\.wasm$/);
  const asset = await request.get(wasm!, { headers: { "accept-encoding": "br" } });
  expect(asset.headers()["cache-control"]).toBe("public, max-age=31536000, immutable");
  expect(asset.headers()["content-encoding"]).toBe("br");
  expect(asset.headers()["vary"]).toContain("accept-encoding");
  // Not a document: nosniff applies, the document policies do not.
  expect(asset.headers()["x-content-type-options"]).toBe("nosniff");
  expect(asset.headers()["permissions-policy"]).toBeUndefined();
  expect(page_?.headers()["permissions-policy"]).toContain("camera=()");
});
