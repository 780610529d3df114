import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { callables } from "@wa-gateway/core/proxies";
import { REPO_ROOT } from "../../scripts/lib/project";

const CLIENT = join(REPO_ROOT, "client");
const TSC = join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");

/** The typed client as an app receives it: built, then imported by name. */
describe("the typed client's build output (client/dist)", function () {
  this.timeout(120_000);

  before(() => {
    execFileSync("npm", ["run", "build", "--workspace", "client"], { cwd: REPO_ROOT, stdio: "pipe" });
  });

  it("imports cleanly in a plain Node ESM script, by package name", () => {
    const script = `
      import * as client from "@wa-gateway/client";
      const schemas = client.jsonSchemas();
      console.log(JSON.stringify({
        exports: Object.keys(client).sort(),
        callables: Object.keys(schemas).sort(),
        region: client.DEFAULT_REGION,
        admin: [...client.ADMIN_CALLABLES].sort(),
      }));`;
    const out = JSON.parse(
      execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: REPO_ROOT, encoding: "utf8" }),
    ) as { exports: string[]; callables: string[]; region: string; admin: string[] };
    for (const name of [
      "connectGateway",
      "watchMessageStatus",
      "watchThreadMessages",
      "watchUnassignedThreads",
      "inboxQueries",
      "jsonSchemas",
      "callables",
    ])
      assert.ok(out.exports.includes(name), `exports ${name}`);
    assert.deepEqual(out.callables, Object.keys(callables).sort(), "a schema for every callable of the contract");
    assert.equal(out.region, "us-central1");
    // One file per function, named after it (functions/src).
    const adminFunctions = readdirSync(join(REPO_ROOT, "functions", "src"))
      .filter((f) => /^whatsappAdmin\w+\.ts$/.test(f))
      .map((f) => f.replace(/\.ts$/, ""))
      .sort();
    assert.deepEqual(out.admin, adminFunctions, "connectAdmin types every admin callable the functions deploy");
  });

  it("ships a JSON Schema of every request and answer, for clients in other languages", () => {
    const files = readdirSync(join(CLIENT, "dist", "schemas")).sort();
    assert.equal(files.length, 2 * Object.keys(callables).length);
    const send = JSON.parse(readFileSync(join(CLIENT, "dist", "schemas", "whatsappProxySend.request.json"), "utf8"));
    assert.equal(send.$schema, "https://json-schema.org/draft/2020-12/schema");
    // `text`, or `media` (an upload and its caption): one of the two, said by the server's check.
    assert.deepEqual(send.required, ["threadId", "accountId", "toJid", "clientMessageId"]);
    assert.deepEqual(Object.keys(send.properties.media.properties), ["uploadId", "caption"]);
    assert.equal(send.additionalProperties, false);
  });

  it("types an app's calls under strict NodeNext resolution: a wrong field does not compile", () => {
    const dir = mkdtempSync(join(CLIENT, ".consumer-"));
    try {
      writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
      writeFileSync(
        join(dir, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            module: "NodeNext",
            moduleResolution: "NodeNext",
            noEmit: true,
            skipLibCheck: true,
            types: [],
            lib: ["ES2022", "DOM"],
          },
          include: ["app.ts"],
        }),
      );
      writeFileSync(
        join(dir, "app.ts"),
        `import { initializeApp } from "firebase/app";
import { connectAdmin, connectGateway, type AnswerOf } from "@wa-gateway/client";
const gateway = connectGateway(initializeApp({ projectId: "demo-x", apiKey: "k" }), { region: "europe-west1" });
export async function reply(threadId: string): Promise<string> {
  const answer: AnswerOf<"whatsappProxySend"> = await gateway.whatsappProxySend({
    threadId, accountId: "acc-1", toJid: "+40712345678", text: "hi", clientMessageId: "c1",
  });
  // @ts-expect-error: a request field the contract does not have
  await gateway.whatsappProxyClaimThread({ threadId, owner: "me" });
  const members: AnswerOf<"whatsappProxySetAccountMembers"> = await gateway.whatsappProxySetAccountMembers({
    accountId: "acc-1", memberUids: ["alice"],
  });
  // @ts-expect-error: memberUids is a list of uids
  await gateway.whatsappProxySetAccountMembers({ accountId: "acc-1", memberUids: "alice" });
  const admin = connectAdmin(initializeApp({ projectId: "demo-x", apiKey: "k" }, "admin"));
  const dry = await admin.whatsappAdminRequeue({ sinceMinutes: 60, dryRun: true });
  // @ts-expect-error: the window is minutes, not "1h"
  await admin.whatsappAdminRequeue({ sinceMinutes: "1h" });
  const ack = await admin.whatsappAdminAcknowledgeIncident({ incidentId: "i-1", owner: "ana" });
  return answer.requestId + members.threadsChanged + dry.entries.map((e) => e.outcome).join() + ack.owner;
}
`,
      );
      execFileSync(process.execPath, [TSC, "-p", dir], { cwd: dir, encoding: "utf8" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
