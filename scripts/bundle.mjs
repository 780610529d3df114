// Bundles a deployable package (functions/ or worker/) into one CommonJS file, with
// @wa-gateway/core compiled in and the package's own registry dependencies left external,
// so the package installs from the registry alone (as Cloud Build does on deploy).
// usage: node ../scripts/bundle.mjs <package-dir-name> <entry> <outfile>   (run from the package)
import { build } from "esbuild";
import { readFileSync } from "node:fs";
import { deployRuntime } from "./runtime.mjs";

const [, , name, entry, outfile] = process.argv;
if (!name || !entry || !outfile) {
  console.error("usage: node ../scripts/bundle.mjs <package> <entry> <outfile>");
  process.exit(2);
}
const pkg = JSON.parse(readFileSync("package.json", "utf8"));
const external = Object.keys(pkg.dependencies ?? {});
for (const dep of external) {
  if (dep.startsWith("@wa-gateway/")) {
    console.error(`${name}/package.json must not depend on ${dep}: it is bundled in, not installed`);
    process.exit(1);
  }
}

await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: "node",
  // The deploy runtime (firebase.json), for the worker image too: one Node major everywhere.
  target: `node${deployRuntime().major}`,
  format: "cjs",
  sourcemap: "linked",
  external,
  logLevel: "warning",
});
console.log(`${name}: bundled ${entry} -> ${outfile} (external: ${external.join(", ")})`);
