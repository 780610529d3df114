// Builds the typed client: one ESM bundle (the contract inlined; firebase and zod left to the
// app), its declarations, and the JSON Schema of every request and answer for other languages.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
rmSync(dist, { recursive: true, force: true });

await build({
  entryPoints: [join(root, "src", "index.ts")],
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  external: ["firebase/*", "zod"],
  outfile: join(dist, "index.js"),
  logLevel: "warning",
});
execFileSync(
  process.execPath,
  [join(root, "..", "node_modules", "typescript", "bin", "tsc"), "-p", join(root, "tsconfig.build.json")],
  {
    stdio: "inherit",
  },
);

const { jsonSchemas } = await import(pathToFileURL(join(dist, "index.js")).href);
mkdirSync(join(dist, "schemas"), { recursive: true });
for (const [name, { request, answer }] of Object.entries(jsonSchemas())) {
  writeFileSync(join(dist, "schemas", `${name}.request.json`), `${JSON.stringify(request, null, 2)}\n`);
  writeFileSync(join(dist, "schemas", `${name}.answer.json`), `${JSON.stringify(answer, null, 2)}\n`);
}
