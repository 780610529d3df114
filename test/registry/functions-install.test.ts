import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const FUNCTIONS_DIR = join(__dirname, "..", "..", "functions");
const EXPECTED = [
  "longrunCapacity",
  "longrunDailyRollup",
  "longrunDeliveryCheck",
  "longrunProbes",
  "longrunWatchdog",
  "whatsappAccountMembersSweep",
  "whatsappAdminAcknowledgeIncident",
  "whatsappAdminRequeue",
  "whatsappAdminRunProbe",
  "whatsappAdminRunRollup",
  "whatsappCloudWebhook",
  "whatsappProxyAddAccount",
  "whatsappProxyClaimThread",
  "whatsappProxyCreateUpload",
  "whatsappProxyGetAccounts",
  "whatsappProxyGetMediaUrl",
  "whatsappProxyRegenerateQr",
  "whatsappProxyRemoveAccount",
  "whatsappProxySend",
  "whatsappProxySendTemplate",
  "whatsappProxySetAccountMembers",
  "whatsappProxySetThreadMembers",
];

/**
 * Does what a deploy does: `firebase deploy` uploads functions/ alone (after the predeploy
 * build) and Cloud Build installs its production dependencies from the registry. This is the
 * one test that reaches the package registry.
 */
describe("functions deployability", function () {
  this.timeout(300_000);
  let dir: string;

  before(() => {
    execFileSync("npm", ["run", "build"], { cwd: FUNCTIONS_DIR, stdio: "pipe" });
    dir = mkdtempSync(join(tmpdir(), "wa-functions-deploy-"));
    cpSync(join(FUNCTIONS_DIR, "package.json"), join(dir, "package.json"));
    cpSync(join(FUNCTIONS_DIR, "lib"), join(dir, "lib"), { recursive: true });
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it("names only registry packages as dependencies", () => {
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    for (const [name, spec] of Object.entries(pkg.dependencies)) {
      assert.ok(!name.startsWith("@wa-gateway/"), `${name} must be bundled, not a dependency`);
      assert.match(spec, /^\^?~?\d/, `${name}@${spec} is not a registry version`);
    }
  });

  it("installs alone with npm install --omit=dev and exports every function", () => {
    execFileSync("npm", ["install", "--omit=dev", "--no-audit", "--no-fund", "--prefer-offline"], {
      cwd: dir,
      stdio: "pipe",
      env: { ...process.env, NODE_PATH: "" },
    });
    const listing = execFileSync(
      process.execPath,
      [
        "-e",
        `const m = require("./lib/index.js");
         console.log(JSON.stringify(Object.keys(m).sort().map((k) => [k, Object.keys(m[k].__endpoint ?? {}).find((t) => t.endsWith("Trigger"))])));`,
      ],
      { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH ?? "", METADATA_SERVER_DETECTION: "none" } },
    );
    const exported = JSON.parse(listing) as [string, string | undefined][];
    assert.deepEqual(
      exported.map(([name]) => name),
      EXPECTED,
    );
    for (const [name, trigger] of exported) assert.ok(trigger, `${name} has no trigger`);
  });
});
