import assert from "node:assert/strict";
import { paths } from "@wa-gateway/core";
import { INCIDENT_TYPES } from "@wa-gateway/core/longrun";
import { threadMessages } from "@wa-gateway/data";
import { adminDb, resetFirestore } from "../support/emulator";
import { seedIncident, seedOutboxEntry } from "../support/longrunFixtures";
import { command, MIN } from "../support/opsCommands";

const outboxEntry = async (id: string) => (await adminDb().doc(paths.outboxEntry(id)).get()).data()!;

describe("npm run requeue and npm run incident (the runbook's procedures)", function () {
  this.timeout(60_000);
  const now = Date.now();

  beforeEach(async () => {
    await resetFirestore();
    const failed = (id: string, over: object) =>
      seedOutboxEntry(adminDb(), id, { status: "failed", createdAt: new Date(now - 20 * MIN), attempts: 5, ...over });
    await failed("req_transient", { failureKind: "attempts_exhausted", lastError: "timed out" });
    await failed("req_blocked", { failureKind: "permanent", lastError: "WhatsApp refused the message (code 463)" });
    await failed("req_other_account", { accountId: "a2", failureKind: "gave_up", lastError: "hung" });
    await failed("req_old", { createdAt: new Date(now - 3 * 3_600_000), failureKind: "attempts_exhausted" });
    await seedOutboxEntry(adminDb(), "req_sent", { status: "sent", createdAt: new Date(now - 10 * MIN) });
    await threadMessages.write(adminDb(), "t1", "req_transient").set({
      direction: "out",
      text: "seeded",
      status: "failed",
      requestId: "req_transient",
      providerMessageId: "3EB0req_transient",
      senderUid: "u1",
      kind: "text",
      reactions: {},
      editedAt: null,
      deleted: false,
      media: null,
      mediaStatus: null,
      createdAt: new Date(now - 20 * MIN),
      updatedAt: new Date(now - 20 * MIN),
    });
  });

  it("--dry-run lists what it would requeue and changes nothing; the real run changes exactly that, under the same ids", async () => {
    const before = await outboxEntry("req_transient");
    const dry = await command("requeue", ["--since", "1h", "--account", "a1", "--dry-run"]);
    assert.equal(dry.code, 0, dry.out);
    const listed = [...dry.out.matchAll(/would_requeue\s+(\S+)/g)].map((m) => m[1]);
    assert.deepEqual(listed, ["req_transient"]);
    assert.match(dry.out, /skipped_permanent\s+req_blocked .*code 463/);
    assert.equal((await outboxEntry("req_transient")).status, "failed", "a dry run writes nothing");

    const real = await command("requeue", ["--since", "1h", "--account", "a1"]);
    assert.equal(real.code, 0, real.out);
    assert.deepEqual(
      [...real.out.matchAll(/ requeued\s+(\S+)/g)].map((m) => m[1]),
      listed,
    );
    const after = await outboxEntry("req_transient");
    assert.deepEqual(
      [after.status, after.attempts, after.providerMessageId, after.requeued.previousError],
      ["queued", 0, before.providerMessageId, "timed out"],
    );
    assert.equal((await threadMessages.doc(adminDb(), "t1", "req_transient").get()).data()!.status, "queued");
    for (const untouched of ["req_blocked", "req_other_account", "req_old"]) {
      assert.equal((await outboxEntry(untouched)).status, "failed", untouched);
    }
  });

  it("a permanent failure is requeued only when told to", async () => {
    const run = await command("requeue", ["--since", "1h", "--account", "a1", "--include-permanent"]);
    assert.equal(run.code, 0, run.out);
    assert.equal((await outboxEntry("req_blocked")).status, "queued");
  });

  it("--since is required and must be a duration: usage error, nothing changed", async () => {
    const bad = await command("requeue", ["--since", "soon"]);
    assert.equal(bad.code, 64, bad.out);
    assert.equal((await outboxEntry("req_transient")).status, "failed");
  });

  it("incident ack names the owner and keeps who and when; a resolved or unknown incident is refused", async () => {
    await seedIncident(adminDb(), "account_down_a1_x", {
      type: "account_down",
      key: "a1",
      severity: INCIDENT_TYPES.account_down.severity,
      tsStart: new Date(now - 10 * MIN),
    });
    const ack = await command("incident", ["ack", "account_down_a1_x", "--owner", "alice", "--by", "bob"]);
    assert.equal(ack.code, 0, ack.out);
    const a = (await adminDb().doc(paths.longrun.incident("account_down_a1_x")).get()).get("acknowledgement");
    assert.deepEqual([a.owner, a.by, a.severity], ["alice", "operator:bob", "P2"]);
    assert.ok(Math.abs(a.at.toMillis() - Date.now()) < 60_000);

    assert.equal((await command("incident", ["ack", "nope", "--owner", "alice"])).code, 2);
    await seedIncident(adminDb(), "account_down_a1_y", {
      type: "account_down",
      key: "a1",
      tsStart: new Date(now - 90 * MIN),
      tsEnd: new Date(now - 60 * MIN),
    });
    const resolved = await command("incident", ["ack", "account_down_a1_y", "--owner", "alice"]);
    assert.equal(resolved.code, 2, resolved.out);
    assert.match(resolved.out, /already resolved/);
    assert.equal((await command("incident", ["ack", "account_down_a1_x"])).code, 64, "--owner is required");
  });
});
