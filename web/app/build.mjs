// Builds the app into dist/: one JavaScript bundle and one stylesheet with
// content hashes in their names (served with a year-long `immutable`
// cache), and index.html naming them (served with `no-cache`). The output
// is deterministic, so CI rebuilds it and fails when the committed dist/
// differs: the corkboard binary embeds dist/ and never needs Node.
//
//   node build.mjs            # from web/app (npm run build -w @corkboard/app)
import { build } from "esbuild";
import { mkdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, "assets"), { recursive: true });

const result = await build({
  entryPoints: { app: join(here, "src/main.tsx") },
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2022"],
  jsx: "automatic",
  jsxImportSource: "preact",
  outdir: join(dist, "assets"),
  entryNames: "[name]-[hash]",
  assetNames: "[name]-[hash]",
  legalComments: "none",
  charset: "utf8",
  metafile: true,
  logLevel: "warning",
  // The client's msgpack codec is imported only for `format: "msgpack"`;
  // the app speaks JSON, so that chunk is never loaded.
  splitting: true,
  chunkNames: "chunk-[hash]",
});

const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
const script = outputs.find((f) => f.startsWith("app-") && f.endsWith(".js"));
const style = outputs.find((f) => f.startsWith("app-") && f.endsWith(".css"));
if (!script || !style) throw new Error(`esbuild wrote no app-*.js or app-*.css: ${outputs.join(", ")}`);

const html = readFileSync(join(here, "src/index.html"), "utf8")
  .replace("%SCRIPT%", `/assets/${script}`)
  .replace("%STYLE%", `/assets/${style}`);
writeFileSync(join(dist, "index.html"), html);
copyFileSync(join(here, "src/favicon.svg"), join(dist, "favicon.svg"));
console.log(`dist/: index.html, favicon.svg, ${outputs.map((o) => `assets/${o}`).join(", ")}`);
