import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../../scripts/lib/project";
import { WORKER_NODE_FLAGS } from "../../../scripts/lib/workerProcess";

describe("the worker's Node flags", () => {
  it("are the same in its image as in the processes the tests and benchmarks measure", () => {
    const dockerfile = readFileSync(join(REPO_ROOT, "worker", "Dockerfile"), "utf8");
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    assert.ok(cmd, "worker/Dockerfile has an exec-form CMD");
    const args = JSON.parse(cmd) as string[];
    const flags = args.slice(1, args.indexOf("worker/dist/main.js")).filter((a) => a !== "--enable-source-maps");
    assert.deepEqual(flags, WORKER_NODE_FLAGS);
  });
});
