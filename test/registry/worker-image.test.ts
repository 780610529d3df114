import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { readDockerfile } from "../../scripts/deploy/dockerfile";
import { freePort, waitUntil } from "../../scripts/lib/ports";
import { REPO_ROOT } from "../../scripts/lib/project";
import { emulator, resetFirestore } from "../support/emulator";

const DOCKERFILE = join(REPO_ROOT, "worker", "Dockerfile");

/**
 * The worker image, checked without Docker: the `deps` stage's COPY and RUN lines replayed as
 * written in a clean folder (production dependencies from the lockfile, from the registry as the
 * image build does), the built bundle added as the final stage adds it, and the image's CMD
 * booted from that folder alone against the emulator.
 */
describe("worker container (Dockerfile replayed without Docker)", function () {
  this.timeout(300_000);
  let app: string;

  before(() => {
    app = mkdtempSync(join(tmpdir(), "wa-worker-image-"));
    for (const step of readDockerfile(DOCKERFILE).stage("deps")) {
      if (step.kind === "copy") {
        for (const source of step.sources) {
          const target = step.dest.endsWith("/")
            ? join(app, step.dest, source.split("/").pop()!)
            : join(app, step.dest);
          mkdirSync(dirname(target), { recursive: true });
          cpSync(join(REPO_ROOT, source), target, { recursive: true });
        }
      } else {
        execFileSync("sh", ["-c", step.command], { cwd: app, stdio: "pipe", env: { ...process.env, NODE_PATH: "" } });
      }
    }
    execFileSync("npm", ["run", "build", "--workspace", "worker"], { cwd: REPO_ROOT, stdio: "pipe" });
    cpSync(join(REPO_ROOT, "worker", "dist"), join(app, "worker", "dist"), { recursive: true });
  });

  after(() => rmSync(app, { recursive: true, force: true }));

  it("installs the worker's production dependencies only", () => {
    const deps = Object.keys(
      (JSON.parse(readFileSync(join(REPO_ROOT, "worker", "package.json"), "utf8")) as { dependencies: object })
        .dependencies,
    );
    for (const dep of deps) assert.ok(existsSync(join(app, "node_modules", dep, "package.json")), `${dep} installed`);
    for (const devOnly of ["typescript", "mocha", "firebase-tools", "esbuild", "tsx", "firebase-functions"]) {
      assert.ok(!existsSync(join(app, "node_modules", devOnly)), `${devOnly} must not be in the image`);
    }
  });

  it("has Baileys patched (patches/, applied by the root's postinstall there too)", () => {
    const patches = readdirSync(join(REPO_ROOT, "patches")).filter((f) => f.startsWith("@whiskeysockets+baileys+"));
    assert.ok(patches.length > 0, "a Baileys patch exists");
    const recv = readFileSync(join(app, "node_modules/@whiskeysockets/baileys/lib/Socket/messages-recv.js"), "utf8");
    assert.match(recv, /awaitInboundCommit/, "the receipt-after-commit patch is applied in the image");
  });

  it("boots from that folder alone: /healthz, /readyz on the emulator, clean SIGTERM", async () => {
    await resetFirestore(); // an empty project: this checks the image, not what other suites left behind
    const [command, ...args] = readDockerfile(DOCKERFILE).cmd();
    assert.equal(command, "node");
    const port = await freePort();
    const child = spawn(process.execPath, args, {
      cwd: app,
      env: {
        PATH: process.env.PATH ?? "",
        NODE_ENV: "production",
        METADATA_SERVER_DETECTION: "none",
        GCLOUD_PROJECT: emulator().projectId,
        FIRESTORE_EMULATOR_HOST: emulator().host,
        PORT: String(port),
        WA_TRANSPORT: "simulated",
        HEARTBEATS: "off",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      await waitUntil(
        "image /readyz",
        async () => (await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) })).ok,
        { timeoutMs: 30_000, abort: () => (child.exitCode !== null ? `worker exited:\n${output}` : undefined) },
      );
      assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
      const t0 = Date.now();
      child.kill("SIGTERM");
      assert.equal(await exit, 0, output);
      assert.ok(Date.now() - t0 < 10_000, "stopped within Cloud Run's 10 s");
      assert.match(output, /"message":"shutdown_finished"/);
    } finally {
      child.kill("SIGKILL");
    }
  });
});

describe("worker image build stage", () => {
  /** The @wa-gateway workspaces the worker's bundle compiles in: worker/src's imports, and theirs. */
  function bundledWorkspaces(): string[] {
    const found = new Set<string>();
    const visit = (dir: string) => {
      for (const file of readdirSync(join(REPO_ROOT, dir, "src"), { recursive: true, encoding: "utf8" })) {
        if (!file.endsWith(".ts")) continue;
        const text = readFileSync(join(REPO_ROOT, dir, "src", file), "utf8");
        for (const [, name] of text.matchAll(/from "@wa-gateway\/([a-z]+)"/g)) {
          if (!found.has(name!)) {
            found.add(name!);
            visit(name!);
          }
        }
      }
    };
    visit("worker");
    return [...found].sort();
  }

  it("copies every workspace the worker bundles, its package.json and its sources", () => {
    const copied = readDockerfile(DOCKERFILE)
      .stage("build")
      .flatMap((step) => (step.kind === "copy" ? step.sources : []));
    const workspaces = bundledWorkspaces();
    assert.ok(workspaces.includes("core"), "the worker bundles core");
    for (const workspace of workspaces) {
      assert.ok(copied.includes(`${workspace}/package.json`), `the build stage copies ${workspace}/package.json`);
      assert.ok(copied.includes(`${workspace}/src`), `the build stage copies ${workspace}/src`);
    }
  });
});
