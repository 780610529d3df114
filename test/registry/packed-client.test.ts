import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { adminDb, emulator, resetFirestore } from "../support/emulator";
import { seedAccount } from "../support/fixtures";
import { scratchApp } from "../support/scratchApp";
import { REPO_ROOT } from "../../scripts/lib/project";

/** What an app does with the packed client: watch an account as its member, through the rules. */
const APP = `
import { initializeApp } from "firebase/app";
import { connectFirestoreEmulator, getFirestore } from "firebase/firestore";
import { watchAccount } from "@wa-gateway/client";
const [host, port] = process.env.FIRESTORE_EMULATOR_HOST.split(":");
const db = getFirestore(initializeApp({ projectId: process.env.GCLOUD_PROJECT, apiKey: "demo-key" }));
connectFirestoreEmulator(db, host, Number(port), { mockUserToken: { sub: "alice" } });
const stop = watchAccount(db, "acc-1", (account) => {
  if (!account) return;
  console.log(JSON.stringify(account));
  stop();
  process.exit(0);
}, (err) => { console.error(err.message); process.exit(1); });
`;

/**
 * The typed client as the README has an app install it: \`npm run pack:client\`, then
 * \`npm install <tarball>\` in an app outside the repository, with each firebase major of the
 * peer range. Offline: the app's packages come from the npm cache (see scratchApp).
 */
describe("the packed client in a new app (npm pack, npm install <tarball>)", function () {
  this.timeout(240_000);
  let packDir: string;
  let tarball: string;
  const apps: string[] = [];

  before(() => {
    packDir = mkdtempSync(join(tmpdir(), "wa-client-pack-"));
    const packed = JSON.parse(
      execFileSync("npm", ["pack", "--workspace", "client", "--pack-destination", packDir, "--json"], {
        cwd: REPO_ROOT,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      }),
    ) as { filename: string }[];
    tarball = join(packDir, packed[0]!.filename);
  });
  after(() => {
    for (const dir of [packDir, ...apps]) rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await resetFirestore();
    await seedAccount(adminDb(), "acc-1", { status: "pending_qr", memberUids: ["alice"] });
  });

  for (const [installedAs, major] of [
    ["firebase13", "13"],
    ["firebase", "12"],
  ] as const) {
    it(`installs as a copy beside firebase ${major} and watches an account against the emulator`, () => {
      const app = scratchApp(installedAs, tarball);
      apps.push(app.dir);
      assert.equal(app.firebase.split(".")[0], major);
      const installed = join(app.dir, "node_modules", "@wa-gateway", "client");
      assert.ok(!lstatSync(installed).isSymbolicLink(), "a copy, not a link into the repository");
      assert.ok(!existsSync(join(installed, "node_modules", "firebase")), "one firebase: the app's");
      assert.match(readFileSync(join(installed, "dist", "index.js"), "utf8"), /DocumentShapeError/, "the converters");

      writeFileSync(join(app.dir, "app.mjs"), APP);
      const { host, projectId } = emulator();
      const out = execFileSync(process.execPath, ["app.mjs"], {
        cwd: app.dir,
        encoding: "utf8",
        timeout: 60_000,
        env: { PATH: process.env.PATH ?? "", FIRESTORE_EMULATOR_HOST: host, GCLOUD_PROJECT: projectId },
      });
      const account = JSON.parse(out.trim().split("\n").at(-1)!) as Record<string, unknown>;
      assert.equal(account.accountId, "acc-1");
      assert.equal(account.status, "pending_qr");
      assert.ok("qr" in account && "pairingCode" in account);
      assert.equal(account.lastDisconnect, null);
    });
  }
});
