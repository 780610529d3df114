import assert from "node:assert/strict";
import { Timestamp } from "firebase-admin/firestore";
import { paths } from "@wa-gateway/core";
import { DEFAULT_RETRY_POLICY } from "@wa-gateway/core/outbox";
import { handleSend } from "@wa-gateway/core/proxies";
import { firestoreSendStore } from "../../functions/src/stores/sendStore";
import { createLogger } from "../../worker/src/logging/logger";
import { WorkerMetrics } from "../../worker/src/metrics/workerMetrics";
import { AccountOutbox } from "../../worker/src/outbox/accountOutbox";
import { outboxStore } from "../../worker/src/outbox/outboxStore";
import { type OutboxStore } from "../../worker/src/outbox/outboxPort";
import { ServerClock } from "../../worker/src/serverClock";
import type { AccountSocket } from "../../worker/src/transport/transport";
import { adminDb } from "../support/emulator";
import { seedAccount, sendPayload } from "../support/fixtures";
import { jsonLineSink } from "../support/logSink";
import { eventually, linkedAccount, simulatedWorldPerTest } from "../support/worker";

const alice = { uid: "alice", admin: false };
const sendAt = (atMs: number, over: Record<string, unknown>) =>
  handleSend(
    { store: firestoreSendStore(adminDb()), now: () => new Date(atMs), rateLimit: { maxSends: 10_000, windowSec: 60 } },
    alice,
    sendPayload(over),
  );
const outbox = async (requestId: string) => (await adminDb().doc(paths.outboxEntry(requestId)).get()).data()!;
const message = async (threadId: string, requestId: string) =>
  (await adminDb().doc(paths.threadMessage(threadId, requestId)).get()).data()!;

describe("delivery bounds: no hung send, crashing message or lost claim blocks or reorders a thread", function () {
  this.timeout(60_000);
  const { workers, network } = simulatedWorldPerTest({ deliveredReceiptMs: null });

  it("a send that never answers is bounded: retried under the same id, and the thread goes on", async () => {
    await workers.start(network(), { SEND_TIMEOUT_MS: "300", OUTBOX_LEASE_SEC: "5" });
    await linkedAccount(network());
    network().hangNextSends("acc-1", 1);
    const t0 = Date.now();
    const first = await sendAt(t0, { clientMessageId: "hangs", text: "first" });
    const second = await sendAt(t0 + 1, { clientMessageId: "after", text: "second" });
    await eventually("both sent", async () => (await outbox(second.requestId)).status === "sent");
    const entry = await outbox(first.requestId);
    assert.equal(entry.status, "sent");
    assert.equal(entry.attempts, 2, "the hung attempt counted");
    assert.deepEqual(
      network()
        .deliveriesTo("40712345678@s.whatsapp.net")
        .map((d) => [d.text, d.messageId]),
      [
        ["first", entry.providerMessageId],
        ["second", (await outbox(second.requestId)).providerMessageId],
      ],
    );
  });

  it("an entry claimed SEND_MAX_ATTEMPTS times without an outcome is given up, not claimed again", async () => {
    await seedAccount(adminDb(), "acc-1", { status: "pending_qr", memberUids: ["alice"] });
    const { requestId } = await sendAt(Date.now(), { clientMessageId: "crashes-workers" });
    // Five workers claimed it and died mid-send: the lease of the last one ran out.
    await adminDb()
      .doc(paths.outboxEntry(requestId))
      .update({
        status: "processing",
        claimedBy: "dead-5",
        leaseEpoch: 5,
        attempts: 5,
        leaseUntil: Timestamp.fromMillis(Date.now() - 1000),
      });
    await workers.start(network(), { SEND_MAX_ATTEMPTS: "5" });
    await linkedAccount(network());
    const entry = await eventually("given up", async () =>
      (await outbox(requestId)).status === "failed" ? outbox(requestId) : undefined,
    );
    assert.match(entry.lastError, /gave up after 5 claims/);
    assert.equal(entry.attempts, 5);
    assert.equal((await message("thread-1", requestId)).status, "failed");
    assert.equal(network().rawSends.length, 0, "not sent a sixth time");
  });

  it("a claim lost to another worker's live lease keeps the thread's next message waiting", async () => {
    await seedAccount(adminDb(), "acc-1", { status: "connected", memberUids: ["alice"] });
    const t0 = Date.now() - 10_000;
    const a = await sendAt(t0, { clientMessageId: "a", text: "a" });
    const b = await sendAt(t0 + 1, { clientMessageId: "b", text: "b" });
    await sendAt(t0 + 2, {
      clientMessageId: "c",
      text: "c",
      threadId: "thread-2",
      toJid: "40799999999@s.whatsapp.net",
    });
    const { entries: stale } = await outboxStore(adminDb(), "this-worker", 60, DEFAULT_RETRY_POLICY).pendingOf(
      "acc-1",
      500,
    );
    assert.equal(stale.length, 3);
    // Another worker claims the thread's first message after this worker last looked.
    const elsewhere = outboxStore(adminDb(), "other-worker", 60, DEFAULT_RETRY_POLICY);
    const claimA = await elsewhere.claim(a.requestId, "thread-1");
    assert.equal(claimA.kind, "claimed");

    const sends: string[] = [];
    const socket: AccountSocket = {
      send: async (_to, text) => void sends.push(text),
      downloadMedia: async () => assert.fail("no media in this test"),
      logout: async () => undefined,
      close: async () => undefined,
    };
    const claims: string[] = [];
    const store = outboxStore(adminDb(), "this-worker", 60, DEFAULT_RETRY_POLICY);
    const observed: OutboxStore = {
      ...store,
      claim: async (requestId, threadId) => {
        const result = await store.claim(requestId, threadId);
        claims.push(`${requestId}:${result.kind}`);
        return result;
      },
    };
    const deliverer = new AccountOutbox({
      accountId: "acc-1",
      media: null,
      store: observed,
      socket,
      logger: createLogger({ level: "silent", workerId: "this-worker" }, jsonLineSink().sink),
      metrics: new WorkerMetrics(
        {
          connectedAccounts: () => 1,
          inboundBacklog: () => 0,
          holdsHeartbeatLock: () => false,
          outboxFigures: async () => null,
        },
        { version: "test", commit: "test" },
      ),
      pacing: null,
      reachout: null,
      onSendHung: () => assert.fail("no send hangs here"),
      leaseSec: 60,
      sendTimeoutMs: 5000,
      clock: new ServerClock(),
      sweepMs: 60_000,
      sweepPage: 500,
    });
    deliverer.start();
    try {
      for (const entry of stale) deliverer.offer(entry);
      // The other thread's message is created last: once it is sent, the loop has passed thread-1.
      await eventually("the other thread's message sent", () => sends.includes("c"));
      assert.deepEqual(sends, ["c"], "b did not overtake a, still in flight elsewhere");
      assert.ok(claims.includes(`${a.requestId}:held`));
      assert.ok(!claims.some((x) => x.startsWith(b.requestId)), "b was not even claimed");
    } finally {
      await deliverer.stop();
    }
  });
});
