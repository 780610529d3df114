/**
 * Baileys is ESM-only, and its WebAssembly helper exports only an `import` entry, so a
 * `require` of it (what a CommonJS bundle or tsx's hook would do) fails: it is loaded with
 * `import()`, once, and handed to whoever needs it. Types are imported statically as usual.
 */
export type Baileys = typeof import("@whiskeysockets/baileys");

let loading: Promise<Baileys> | undefined;

export function loadBaileys(): Promise<Baileys> {
  return (loading ??= import("@whiskeysockets/baileys"));
}
