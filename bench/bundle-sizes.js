// Prints and records the size of each file of the browser bundle and of the
// floor: raw, gzip (level 9) and brotli (quality 11).
// Usage: node bench/bundle-sizes.js OUT.json FLOOR.wasm SITE/pkg hash.txt [ISLANDS.wasm]
const fs = require("fs");
const zlib = require("zlib");

const [out, floor, pkg, hashFile, islands] = process.argv.slice(2);

// hash.txt: one `kind: hash` line per hashed file (js, wasm, css, split…).
const hashes = Object.fromEntries(
  fs
    .readFileSync(hashFile, "utf8")
    .trim()
    .split("\n")
    .map((line) => line.split(": ")),
);
const files = [
  `leptos_accounts.${hashes.wasm}.wasm`,
  `leptos_accounts.${hashes.js}.js`,
  `leptos_accounts.${hashes.css}.css`,
];
if (hashes.split) files.push(`__wasm_split.${hashes.split}.js`);

// The lazy-route chunks, as the newest split manifest names them.
const manifest = fs
  .readdirSync(pkg)
  .filter((name) => /^__wasm_split_manifest\..*\.json$/.test(name))
  .map((name) => ({ name, time: fs.statSync(`${pkg}/${name}`).mtimeMs }))
  .sort((a, b) => b.time - a.time)[0];
if (manifest) {
  const chunks = JSON.parse(fs.readFileSync(`${pkg}/${manifest.name}`, "utf8"));
  for (const chunk of new Set(Object.values(chunks).flat())) files.push(`${chunk}.wasm`);
}

const measure = (path, label) => {
  const data = fs.readFileSync(path);
  return {
    file: label,
    raw: data.length,
    gzip: zlib.gzipSync(data, { level: 9 }).length,
    brotli: zlib.brotliCompressSync(data, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 },
    }).length,
  };
};

const rows = files.map((name) => measure(`${pkg}/${name}`, name));
const floorRow = measure(floor, "floor: router + one server function (bench/floor)");
const islandsRow = islands
  ? measure(islands, "floor in islands mode, islands router (bench/floor-islands)")
  : null;
const line = (row) =>
  `${row.file.padEnd(78)} ${String(row.raw).padStart(9)} ${String(row.gzip).padStart(9)} ${String(row.brotli).padStart(9)}`;
console.log(line({ file: "bundle file", raw: "raw B", gzip: "gzip B", brotli: "brotli B" }));
for (const row of [...rows, floorRow, islandsRow].filter(Boolean)) console.log(line(row));
fs.writeFileSync(
  out,
  JSON.stringify({ files: rows, floor: floorRow, floor_islands: islandsRow }, null, 2) + "\n",
);
