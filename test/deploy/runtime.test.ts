import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runtimeSupport, WARN_BEFORE_DEPRECATION_DAYS } from "../../scripts/deploy/runtimeSupport";
import { REPO_ROOT } from "../../scripts/lib/project";

const read = (file: string) => readFileSync(join(REPO_ROOT, file), "utf8");
interface PackageJson {
  engines: { node: string };
}
const json = <T>(file: string) => JSON.parse(read(file)) as T;

const runtime = json<{ functions: { runtime: string }[] }>("firebase.json").functions[0]!.runtime;
const major = Number(/^nodejs(\d+)$/.exec(runtime)?.[1]);
const pinned = read(".nvmrc").trim();

describe("deploy runtime", () => {
  it("is one that firebase-tools' own deploy guard accepts today", () => {
    const support = runtimeSupport(runtime, new Date());
    assert.ok(
      support.status !== "decommissioned" && support.status !== "unknown",
      `firebase deploy would refuse ${runtime}: ${JSON.stringify(support)}`,
    );
    if (support.status === "deprecated" || support.status === "deprecation_soon") {
      // A warning, not a failure: deploys still work, but the move to the next runtime is due.
      console.warn(`    ⚠ ${runtime}: ${JSON.stringify(support)} — plan the move to the next Node runtime`);
    }
  });

  it("the guard is live: it refuses the decommissioned nodejs20 today", () => {
    const support = runtimeSupport("nodejs20", new Date());
    assert.equal(support.status, "decommissioned");
    assert.match(support.status === "decommissioned" ? support.refusal : "", /decommissioned on 2026-10-30/);
  });

  it("warns well ahead of the deprecation date, then after it, then fails at decommission", () => {
    const now = runtimeSupport(runtime, new Date());
    assert.ok("deprecationDate" in now);
    const deprecation = Date.parse(now.deprecationDate);
    const at = (days: number) => runtimeSupport(runtime, new Date(deprecation + days * 86_400_000)).status;
    assert.equal(at(-WARN_BEFORE_DEPRECATION_DAYS - 2), "supported");
    assert.equal(at(-WARN_BEFORE_DEPRECATION_DAYS + 1), "deprecation_soon");
    assert.equal(at(1), "deprecated");
    assert.equal(runtimeSupport(runtime, new Date("2100-01-01")).status, "decommissioned");
  });

  it("every place that names a Node version names the same major", () => {
    assert.ok(major >= 22, `firebase.json runtime ${runtime}`);
    assert.equal(pinned.split(".")[0], String(major), ".nvmrc");
    assert.equal(
      json<PackageJson>("functions/package.json").engines.node,
      String(major),
      "functions/package.json engines",
    );
    assert.equal(json<PackageJson>("worker/package.json").engines.node, String(major), "worker/package.json engines");
    assert.equal(json<PackageJson>("package.json").engines.node, `>=${major} <${major + 1}`, "root engines");
    const dockerArg = /^ARG NODE_VERSION=(\S+)$/m.exec(read("worker/Dockerfile"))?.[1];
    assert.equal(dockerArg, pinned, "worker/Dockerfile NODE_VERSION");
    const froms = [...read("worker/Dockerfile").matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    assert.ok(froms.length > 0 && froms.every((f) => f === "node:${NODE_VERSION}-slim"), froms.join(", "));
    assert.match(read("scripts/bundle.mjs"), /target: `node\$\{deployRuntime\(\)\.major\}`/, "bundle target");
    assert.match(read(".ci/run"), /scripts\/runtime-node\.sh/, "CI runs on the pinned Node");
  });
});
