import { readdirSync } from "node:fs";

import { test, expect, hydrated } from "./fixtures";

// The servers of this run are deployed as one file: the release binary,
// alone in an empty directory, with no site folder (global-setup.ts).
// Every page still loads its assets and hydrates, and the assets are served
// from memory as a static file server serves them.

test("the server runs from a directory holding nothing but its binary", () => {
  const deployDir = process.env.APP_DEPLOY_DIR;
  expect(deployDir, "global-setup exports the deploy directory").toBeTruthy();
  expect(readdirSync(deployDir!)).toEqual(["leptos_accounts"]);
});

for (const path of ["/", "/login", "/signup", "/forgot-password", "/no-such-page"]) {
  test(`${path} loads its assets from the binary and hydrates`, async ({ page }) => {
    const failed: string[] = [];
    page.on("response", (response) => {
      if (response.status() >= 400 && new URL(response.url()).pathname.startsWith("/pkg/")) {
        failed.push(`${response.status()} ${response.url()}`);
      }
    });
    await page.goto(path);
    await hydrated(page);
    await page.waitForLoadState("networkidle");
    expect(failed).toEqual([]);
  });
}

test("a lazily loaded page fetches its chunks from the binary", async ({ page }) => {
  const chunks: string[] = [];
  page.on("response", (response) => {
    const url = new URL(response.url()).pathname;
    if (/\/pkg\/(__wasm_split|split_|chunk_)/.test(url)) chunks.push(`${response.status()} ${url}`);
  });
  await page.goto("/");
  await hydrated(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Sign up" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Sign up");
  expect(chunks.length).toBeGreaterThan(0);
  for (const chunk of chunks) expect(chunk).toMatch(/^200 /);
});

test("assets: encoding by Accept-Encoding, ETag and 304, HEAD, byte ranges", async ({ page, request }) => {
  await page.goto("/login");
  const wasm = await page.locator('link[rel="preload"][type="application/wasm"]').getAttribute("href");
  expect(wasm).toMatch(/^\/pkg\/leptos_accounts\.[\w-]{22}\.wasm$/);

  const br = await request.get(wasm!, { headers: { "accept-encoding": "br" } });
  expect(br.status()).toBe(200);
  expect(br.headers()["content-encoding"]).toBe("br");
  expect(br.headers()["cache-control"]).toBe("public, max-age=31536000, immutable");
  expect(br.headers()["vary"]).toMatch(/accept-encoding/i);
  const gzip = await request.get(wasm!, { headers: { "accept-encoding": "gzip" } });
  expect(gzip.headers()["content-encoding"]).toBe("gzip");
  const plain = await request.get(wasm!, { headers: { "accept-encoding": "identity" } });
  expect(plain.headers()["content-encoding"]).toBeUndefined();
  const body = await plain.body();
  expect(body.subarray(0, 4)).toEqual(Buffer.from([0, 0x61, 0x73, 0x6d])); // "\0asm"
  expect(br.headers()["etag"]).not.toBe(plain.headers()["etag"]);

  const unchanged = await request.get(wasm!, {
    headers: { "accept-encoding": "br", "if-none-match": br.headers()["etag"] },
  });
  expect(unchanged.status()).toBe(304);
  expect((await unchanged.body()).length).toBe(0);

  const head = await request.head(wasm!, { headers: { "accept-encoding": "identity" } });
  expect(head.status()).toBe(200);
  expect(head.headers()["content-length"]).toBe(String(body.length));

  const range = await request.get(wasm!, { headers: { "accept-encoding": "identity", range: "bytes=0-3" } });
  expect(range.status()).toBe(206);
  expect(range.headers()["content-range"]).toBe(`bytes 0-3/${body.length}`);
  expect(await range.body()).toEqual(body.subarray(0, 4));
  const stale = await request.get(wasm!, {
    headers: { "accept-encoding": "identity", range: "bytes=0-3", "if-range": '"another"' },
  });
  expect(stale.status()).toBe(200);
  const beyond = await request.get(wasm!, {
    headers: { "accept-encoding": "identity", range: `bytes=${body.length}-` },
  });
  expect(beyond.status()).toBe(416);
  expect(beyond.headers()["content-range"]).toBe(`bytes */${body.length}`);

  const missing = await request.get("/pkg/leptos_accounts.AAAAAAAAAAAAAAAAAAAAAA.wasm");
  expect(missing.status()).toBe(404);
});
