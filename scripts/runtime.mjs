// The deploy runtime, read from its one home: firebase.json's functions runtime (its major) and
// .nvmrc (the exact version CI and the worker image run). The deployability test checks that
// every other place that names a Node version agrees with these two.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** @returns {{ runtime: string, major: number, version: string }} */
export function deployRuntime(root = REPO_ROOT) {
  const firebase = JSON.parse(readFileSync(join(root, "firebase.json"), "utf8"));
  const runtime = firebase.functions[0].runtime;
  const match = /^nodejs(\d+)$/.exec(runtime);
  if (!match) throw new Error(`firebase.json: functions runtime ${runtime} is not nodejsNN`);
  const version = readFileSync(join(root, ".nvmrc"), "utf8").trim().replace(/^v/, "");
  const major = Number(match[1]);
  if (Number(version.split(".")[0]) !== major) {
    throw new Error(`.nvmrc says Node ${version} but firebase.json deploys ${runtime}`);
  }
  return { runtime, major, version };
}
