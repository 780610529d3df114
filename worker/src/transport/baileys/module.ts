import { readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * Baileys is ESM-only, and its WebAssembly helper exports only an `import` entry, so a
 * `require` of it (what a CommonJS bundle or tsx's hook would do) fails: it is loaded with
 * `import()`, once, and handed to whoever needs it. Types are imported statically as usual,
 * always from the pinned package.
 */
export type Baileys = typeof import("@whiskeysockets/baileys");

/**
 * `npm run check:baileys -- --candidate <version>` runs the WhatsApp suites on another Baileys:
 * this names the directory of that package. Honoured only outside production (the worker image
 * sets NODE_ENV=production), so a stray variable cannot swap a deployed worker's Baileys.
 */
export const BAILEYS_CANDIDATE_ENV = "WA_BAILEYS_CANDIDATE_DIR";

export type BaileysSource =
  | { kind: "pinned" }
  | { kind: "candidate"; dir: string; version: string }
  | { kind: "ignored"; dir: string; why: string };

/** Which Baileys the environment asks for; the worker logs anything but `pinned` at boot. */
export function baileysSource(env: NodeJS.ProcessEnv = process.env): BaileysSource {
  const dir = env[BAILEYS_CANDIDATE_ENV];
  if (!dir) return { kind: "pinned" };
  if (env.NODE_ENV === "production") return { kind: "ignored", dir, why: "NODE_ENV is production" };
  if (!isAbsolute(dir)) return { kind: "ignored", dir, why: "not an absolute path" };
  const pkg = readPackage(dir);
  return { kind: "candidate", dir, version: pkg.version };
}

function readPackage(dir: string): { name: string; version: string; main?: string } {
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
    name?: string;
    version?: string;
    main?: string;
  };
  if (pkg.name !== "@whiskeysockets/baileys" || !pkg.version) {
    throw new Error(`${BAILEYS_CANDIDATE_ENV}=${dir} is not a @whiskeysockets/baileys package`);
  }
  return { name: pkg.name, version: pkg.version, main: pkg.main };
}

/** The package at `dir`, by its `main` entry (Baileys has no `exports` map). */
export function importBaileysFrom(dir: string): Promise<Baileys> {
  const entry = join(dir, readPackage(dir).main ?? "lib/index.js");
  return import(pathToFileURL(entry).href) as Promise<Baileys>;
}

let loading: Promise<Baileys> | undefined;
let loadingPinned: Promise<Baileys> | undefined;

/** The Baileys the worker runs: the pinned package, or a candidate outside production. */
export function loadBaileys(): Promise<Baileys> {
  return (loading ??= (() => {
    const source = baileysSource();
    return source.kind === "candidate" ? importBaileysFrom(source.dir) : loadPinnedBaileys();
  })());
}

/**
 * Always the pinned package: for the fake WhatsApp edge of the tests, which plays WhatsApp's side
 * and so must not change when a candidate Baileys is tried on the worker's side.
 */
export function loadPinnedBaileys(): Promise<Baileys> {
  return (loadingPinned ??= import("@whiskeysockets/baileys"));
}
