import assert from "node:assert/strict";
import { Timestamp } from "firebase-admin/firestore";
import { paths } from "@wa-gateway/core";
import { computeRollup } from "@wa-gateway/core/longrun";
import { newAccountDocument } from "@wa-gateway/core/proxies";
import { accounts, DocumentSchemaError, documentKindOf, documentKinds, outbox } from "@wa-gateway/data";
import { adminDb, resetFirestore } from "../support/emulator";
import { auditDocuments } from "../support/schemaAudit";

const AT = new Date("2025-12-30T10:00:00.000Z");
const later = (ms: number) => new Date(AT.getTime() + ms);

/** One complete document per kind the data layer knows, as its writer stores it. */
const samples: { name: string; path: string; data: Record<string, unknown> }[] = [
  {
    name: "accounts",
    path: paths.account("acc-1"),
    data: {
      ...newAccountDocument({ createdBy: "admin", now: AT, status: "connected", memberUids: ["u1"] }),
      owner: { workerId: "w1", leaseUntil: later(30_000), epoch: 3 },
      waJid: "4915100000001@s.whatsapp.net",
      recentDisconnects: [later(-60_000)],
      reconnectCooldownUntil: null,
      reachoutLock: { until: later(3_600_000), enforcement: "RESTRICT_ALL_COMPANIONS", seenAt: AT },
      newChatQuota: { used: 3, total: 10, cycleEndsAt: null, seenAt: AT },
      movedAt: later(-600_000),
    },
  },
  { name: "waSessions", path: paths.waSession("acc-1"), data: { epoch: 3, creds: '{"me":{}}', updatedAt: AT } },
  {
    name: "waSessions keys",
    path: paths.waSessionKey("acc-1", "pre-key", "1"),
    data: { type: "pre-key", id: "1", value: '{"private":{"type":"Buffer","data":"AA=="}}' },
  },
  {
    name: "outbox",
    path: paths.outboxEntry("req-1"),
    data: {
      status: "processing",
      uid: "u1",
      clientMessageId: "c1",
      threadId: "t1",
      accountId: "acc-1",
      toJid: "40712345678@s.whatsapp.net",
      text: "hello",
      media: {
        path: "media/acc-1/t1/req-1",
        kind: "voice",
        mimetype: "audio/ogg; codecs=opus",
        size: 4096,
        seconds: 4,
      },
      firstContact: true,
      heldReason: null,
      providerMessageId: "3EB0AA",
      claimedBy: "w1",
      leaseUntil: later(60_000),
      leaseEpoch: 1,
      attempts: 1,
      nextAttemptAt: AT,
      lastError: null,
      createdAt: AT,
      updatedAt: AT,
      sentAt: null,
      expireAt: null,
    },
  },
  {
    name: "threads",
    path: paths.thread("t1"),
    data: {
      ownerUid: null,
      coWriterUids: [],
      accountId: "acc-1",
      peerJid: "40712345678@s.whatsapp.net",
      lastMessageAt: AT,
      lastMessagePreview: "hello",
      createdAt: AT,
      updatedAt: AT,
    },
  },
  {
    name: "thread messages",
    path: paths.threadMessage("t1", "req-1"),
    data: {
      direction: "out",
      text: "hello",
      status: "sent",
      requestId: "req-1",
      providerMessageId: "3EB0AA",
      senderUid: "u1",
      kind: "image",
      reactions: { "40711111111@s.whatsapp.net": "👍" },
      editedAt: AT,
      deleted: false,
      media: {
        path: "media/acc-1/t1/req-1",
        mimetype: "image/jpeg",
        size: 1024,
        sha256: "ab".repeat(32),
        fileName: "part.jpg",
        seconds: 3,
        width: 640,
        height: 480,
      },
      mediaStatus: "stored",
      createdAt: AT,
      updatedAt: AT,
    },
  },
  {
    name: "threadPeers",
    path: paths.threadPeer("acc-1", "40712345678@s.whatsapp.net"),
    data: { accountId: "acc-1", peerJid: "40712345678@s.whatsapp.net", threadId: "t1", createdAt: AT },
  },
  {
    name: "inboundDedupe",
    path: paths.inboundDedupe("acc-1", "ABC"),
    data: {
      accountId: "acc-1",
      messageId: "ABC",
      threadId: "t1",
      sender: "contact",
      createdAt: AT,
      expireAt: later(86_400_000),
    },
  },
  {
    name: "inboundPending",
    path: paths.inboundPending("acc-1__t1__contact__R1"),
    data: {
      accountId: "acc-1",
      threadId: "t1",
      targetId: "ABC",
      targetDirection: "in",
      by: "40711111111@s.whatsapp.net",
      change: { type: "reaction", emoji: "❤️" },
      at: AT,
      createdAt: AT,
      expireAt: later(86_400_000),
    },
  },
  {
    name: "workers",
    path: paths.worker("w1"),
    data: { leaseUntil: later(30_000), maxAccounts: 50, held: 12, startedAt: AT, expireAt: later(86_400_000) },
  },
  {
    name: "message templates",
    path: paths.messageTemplate("acc-cloud", "order_update.en_US"),
    data: {
      accountId: "acc-cloud",
      name: "order_update",
      language: "en_US",
      status: "APPROVED",
      category: "UTILITY",
      body: "Your order {{1}} ships on {{2}}.",
      parameterCount: 2,
      sendable: true,
      syncedAt: AT,
    },
  },
  {
    name: "mediaDownloads",
    path: paths.mediaDownload("acc-1", "t1", "in_3EB0AA"),
    data: {
      accountId: "acc-1",
      threadId: "t1",
      messageDocId: "in_3EB0AA",
      kind: "voice",
      mimetype: "audio/ogg; codecs=opus",
      ref: "eyJrZXkiOnt9fQ==",
      attempts: 1,
      nextAttemptAt: AT,
      lastError: "fetch failed",
      createdAt: AT,
    },
  },
  {
    name: "mediaUploads",
    path: paths.mediaUpload("Zb3kq0x9Qm2LrT7aYw1cVg"),
    data: {
      uid: "u1",
      accountId: "acc-1",
      threadId: "t1",
      kind: "document",
      contentType: "application/pdf",
      size: 2048,
      fileName: "invoice.pdf",
      seconds: 12,
      path: "uploads/u1/Zb3kq0x9Qm2LrT7aYw1cVg",
      createdAt: AT,
      expireAt: later(86_400_000),
    },
  },
  {
    name: "sentMedia",
    path: paths.sentMedia("acc-1", "3EB0AA"),
    data: { accountId: "acc-1", message: "CgR0ZXN0", createdAt: AT, expireAt: later(86_400_000) },
  },
  {
    name: "cloudApiNumbers",
    path: paths.cloudApiNumber("106540352242922"),
    data: { accountId: "acc-cloud", claimedAt: AT },
  },
  {
    name: "cloudApiEvents",
    path: paths.cloudApiEvent("m_wamid%2EIN1"),
    data: {
      phoneNumberId: "1001",
      kind: "message",
      wamid: "wamid.IN1",
      callbackData: null,
      payload: '{"message":{"id":"wamid.IN1"},"contact":null}',
      receivedAt: AT,
      handledAt: null,
      expireAt: later(14 * 86_400_000),
    },
  },
  {
    name: "rateLimits",
    path: paths.rateLimitSlot("u1", 29_000_000, 4),
    data: { uid: "u1", windowStart: AT, expireAt: later(120_000) },
  },
  { name: "claimAttempts", path: paths.claimAttempt("a1"), data: { uid: "u1", at: AT, expireAt: later(120_000) } },
  {
    name: "optOuts",
    path: paths.optOut("acc-1", "40712345678@s.whatsapp.net"),
    data: {
      accountId: "acc-1",
      contactJid: "40712345678@s.whatsapp.net",
      otherJid: "81234567890123@lid",
      keyword: "STOP",
      messageId: "ABC",
      at: AT,
      source: "contact",
      createdAt: AT,
    },
  },
  {
    name: "heartbeat state",
    path: paths.longrun.state,
    data: {
      lastHeartbeatAt: AT,
      lastHeartbeatBucketId: "2025-12-30T10-00-00",
      lastHeartbeatInstanceId: "w1",
      heartbeatIntervalSec: 60,
      streakStartedAt: AT,
      firstHeartbeatAt: AT,
      duplicateBeats: 1,
      lastDuplicateBucketId: "2025-12-30T09-59-00",
      updatedAt: AT,
      updatedBy: "w1",
    },
  },
  {
    name: "watchdog memory",
    path: paths.longrun.watchdogState,
    data: {
      lastRun: { watchdog: AT.getTime() },
      lastGoodConfig: { heartbeatIntervalSec: 60 },
      pendingNotices: [
        {
          line: {
            kind: "resolve",
            type: "missed_heartbeat",
            key: "global",
            sinceMs: 1,
            endMs: 2,
            downtimeSec: 0,
          },
          claimedAtMs: AT.getTime(),
        },
      ],
      deferredNotices: [{ kind: "open", type: "queue_depth", key: "global", sinceMs: 1, reason: "deep" }],
      updatedAt: AT,
      updatedBy: "longrunWatchdog",
    },
  },
  {
    name: "locks",
    path: paths.longrun.lock("heartbeat-scheduler"),
    data: { holder: "w1", leaseUntilTs: later(30_000), epoch: 2, acquiredAt: AT, renewedAt: AT },
  },
  {
    name: "heartbeats",
    path: paths.longrun.heartbeat("2025-12-30T10-00-00"),
    data: {
      bucketId: "2025-12-30T10-00-00",
      tsIso: AT.toISOString(),
      ts: AT,
      serverTs: later(150),
      commitHash: "abc",
      serviceVersion: "0.1.0",
      instanceId: "w1",
      uptimeSec: 60,
      memoryRssMb: 80,
      memoryHeapUsedMb: 30,
      connectedCount: 1,
      driftSec: 0.1,
      intervalSec: 60,
      lockEpoch: 2,
      afterPlannedStop: false,
      expireAt: later(90 * 86_400_000),
    },
  },
  {
    name: "probes",
    path: paths.longrun.probe("OUT_2025123010"),
    data: {
      key: "OUT_2025123010",
      type: "OUT",
      result: "PASS",
      latencyMs: 900,
      reason: null,
      attempt: 1,
      startedAt: AT,
      attemptStartedAt: AT,
      retryAt: null,
      requestId: "req-1",
      providerMessageId: "3EB0AA",
      targetAccountId: null,
      deadlineSec: 120,
      finishedAt: later(900),
      startedIso: AT.toISOString(),
      expireAt: later(180 * 86_400_000),
      updatedAt: AT,
      updatedBy: "longrunProbes",
    },
  },
  {
    name: "incidents",
    path: paths.longrun.incident("missed_heartbeat_global_1"),
    data: {
      type: "missed_heartbeat",
      key: "global",
      severity: "P2",
      status: "resolved",
      reason: "no heartbeat for 3 min",
      tsStart: AT,
      tsStartIso: AT.toISOString(),
      tsDetected: later(120_000),
      tsEnd: later(600_000),
      tsEndIso: later(600_000).toISOString(),
      mttrSec: 600,
      planned: false,
      lastNotifiedAt: later(120_000),
      notifyPending: false,
      notifyCount: 1,
      expireAt: later(365 * 86_400_000),
      updatedAt: AT,
      updatedBy: "longrunWatchdog",
    },
  },
  {
    name: "rollups",
    path: paths.longrun.rollup("2025-12-29"),
    data: {
      ...computeRollup({
        date: "2025-12-29",
        dayStartMs: AT.getTime() - 86_400_000,
        nowMs: AT.getTime(),
        beats: [],
        observableFromMs: null,
        intervalSec: 60,
        driftSec: 10,
        insufficientDataThreshold: 0.8,
        incidents: [],
        probes: [],
      }),
      computedAt: AT,
      trigger: "schedule",
      updatedAt: AT,
      updatedBy: "longrunDailyRollup",
    },
  },
  {
    name: "runs",
    path: paths.longrun.run("rollup_2025-12-29"),
    data: {
      job: "rollup",
      periodKey: "2025-12-29",
      status: "done",
      trigger: "schedule",
      startedAt: AT,
      finishedAt: later(2000),
      error: null,
      updatedBy: "longrunDailyRollup",
    },
  },
  {
    name: "security events",
    path: `${paths.longrun.securityEvents}/evt-1`,
    data: {
      kind: "cross_tenant_refused",
      callable: "whatsapp_proxy_send",
      uid: "mallory",
      accountId: "acc-1",
      threadId: "thread-1",
      reason: "You may not use this account",
      at: AT,
      atIso: AT.toISOString(),
      expireAt: later(365 * 86_400_000),
      updatedBy: "whatsapp_proxy_send",
    },
  },
  {
    name: "unhandled stanzas",
    path: paths.longrun.unhandledStanza("notification", "tomorrows_feature"),
    data: {
      kind: "notification",
      type: "tomorrows_feature",
      shape: "<notification from id t type/>",
      accountIds: ["acc-1", "acc-2"],
      lastSeenAt: AT,
    },
  },
];

/** Timestamps and Dates as milliseconds, so a stored document compares with what was written. */
function comparable(value: unknown): unknown {
  if (value instanceof Date) return value.getTime();
  if (value instanceof Timestamp) return value.toMillis();
  if (Array.isArray(value)) return value.map(comparable);
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, comparable(v)]));
  return value;
}

describe("the data layer: every collection through its converter", function () {
  this.timeout(30_000);
  beforeEach(resetFirestore);

  it("has a round-trip sample for every kind of document it knows", () => {
    const judged = documentKinds.filter((entry) => entry.kind).map((entry) => entry.name);
    assert.deepEqual(samples.map((s) => s.name).sort(), judged.sort());
  });

  for (const sample of samples) {
    it(`${sample.name}: a whole document reads back as written, with no field left out of the schema`, async () => {
      const db = adminDb();
      await db.doc(sample.path).set(sample.data);
      const kind = documentKindOf(sample.path)!.kind!;
      assert.deepEqual(kind.undeclared(sample.data), []);
      const read = (await kind.ref(db, sample.path).get()).data();
      assert.deepEqual(comparable(read), comparable(sample.data));
    });
  }

  it("a stored document that fails its schema is an error naming its path and field", async () => {
    const db = adminDb();
    const sample = samples.find((s) => s.name === "outbox")!;
    await db.doc(sample.path).set({ ...sample.data, status: "done" });
    await assert.rejects(
      async () => (await outbox.doc(db, "req-1").get()).data(),
      (err: unknown) => {
        assert.ok(err instanceof DocumentSchemaError);
        assert.equal(err.path, "outbox/req-1");
        assert.equal(err.field, "status");
        assert.match(err.message, /^outbox\/req-1: field status /);
        return true;
      },
    );
  });

  it("a missing field is named too, never read as undefined", async () => {
    const db = adminDb();
    const { memberUids: _left, ...withoutMembers } = samples.find((s) => s.name === "accounts")!.data;
    await db.doc(paths.account("acc-1")).set(withoutMembers);
    await assert.rejects(
      async () => (await accounts.doc(db, "acc-1").get()).data(),
      /accounts\/acc-1: field memberUids /,
    );
  });

  it("a query parses every document it returns", async () => {
    const db = adminDb();
    const sample = samples.find((s) => s.name === "outbox")!;
    await db.doc(sample.path).set(sample.data);
    await db.doc(paths.outboxEntry("req-2")).set({ ...sample.data, attempts: -1 });
    await assert.rejects(
      async () => (await outbox.all(db).get()).docs.map((d) => d.data()),
      /outbox\/req-2: field attempts /,
    );
  });

  it("the outbox lag's oldest queued entry is one that is due, not one held on purpose (heldReason)", async () => {
    const db = adminDb();
    const sample = samples.find((s) => s.name === "outbox")!;
    const queued = { ...sample.data, status: "queued", claimedBy: null, leaseUntil: null };
    await db
      .doc(paths.outboxEntry("held"))
      .set({ ...queued, createdAt: later(-3_600_000), heldReason: "new_contact_budget" });
    await db.doc(paths.outboxEntry("due")).set({ ...queued, createdAt: later(-60_000) });
    assert.equal(await outbox.oldestQueuedMs(db), later(-60_000).getTime());
    await db.doc(paths.outboxEntry("due")).delete();
    assert.equal(await outbox.oldestQueuedMs(db), null, "only held ones: no lag");
    // An entry written before heldReason existed has no such field: it still counts.
    const { heldReason: _none, ...older } = queued as Record<string, unknown>;
    await db.doc(paths.outboxEntry("older")).set({ ...older, createdAt: later(-7_200_000) });
    assert.equal(await outbox.oldestQueuedMs(db), later(-7_200_000).getTime());
  });

  it("the schema audit of the writer suites reports a field a writer added without the schema, and a bad document", async () => {
    const db = adminDb();
    const outboxSample = samples.find((s) => s.name === "outbox")!;
    const threadSample = samples.find((s) => s.name === "threads")!;
    await db.doc(outboxSample.path).set({ ...outboxSample.data, retriedBy: "w2" });
    await db.doc(threadSample.path).set({ ...threadSample.data, lastMessageAt: "yesterday" });
    await db.doc("scratch/one").set({ a: 1 });
    const { problems, judged } = await auditDocuments(db);
    assert.equal(judged, 2);
    assert.deepEqual(problems.sort(), [
      "outbox/req-1: fields not in the outbox schema: retriedBy",
      "scratch: a collection the data layer does not know",
      "threads/t1: field lastMessageAt expected a Firestore Timestamp",
    ]);
  });
});
