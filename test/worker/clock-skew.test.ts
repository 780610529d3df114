import assert from "node:assert/strict";
import { Timestamp } from "firebase-admin/firestore";
import { paths } from "@wa-gateway/core";
import { DEFAULT_RETRY_POLICY } from "@wa-gateway/core/outbox";
import { handleSend } from "@wa-gateway/core/proxies";
import { firestoreSendStore } from "../../functions/src/stores/sendStore";
import { accountLeaseStore } from "../../worker/src/accounts/accountLeaseStore";
import { heartbeatLock } from "../../worker/src/longrun/heartbeatLock";
import { outboxStore } from "../../worker/src/outbox/outboxStore";
import { adminDb, resetFirestore } from "../support/emulator";
import { seedAccount, sendPayload } from "../support/fixtures";

const SKEW_MS = 90_000;

/** Runs `fn` on a machine whose wall clock is `offsetMs` off (Date.now and new Date; not the monotonic clock). */
async function onSkewedClock<T>(offsetMs: number, fn: () => Promise<T>): Promise<T> {
  const realNow = Date.now;
  Date.now = () => realNow() + offsetMs;
  try {
    return await fn();
  } finally {
    Date.now = realNow;
  }
}

const millis = (t: unknown) => (t as Timestamp).toMillis();

async function queuedEntry(): Promise<string> {
  await seedAccount(adminDb(), "acc-1", { status: "disconnected", memberUids: ["alice"] });
  const { requestId } = await handleSend(
    { store: firestoreSendStore(adminDb()), now: () => new Date(), rateLimit: { maxSends: 100, windowSec: 60 } },
    { uid: "alice", admin: false },
    sendPayload(),
  );
  return requestId;
}

describe(`leases are judged on Firestore's clock: a worker ${SKEW_MS / 1000} s off changes nothing`, function () {
  this.timeout(30_000);
  beforeEach(() => resetFirestore());

  describe("outbox lease", () => {
    it("a worker whose clock is fast cannot claim an entry under another's live lease", async () => {
      const requestId = await queuedEntry();
      const holder = outboxStore(adminDb(), "holder", 30, DEFAULT_RETRY_POLICY);
      assert.equal((await holder.claim(requestId, "thread-1")).kind, "claimed");
      const fast = outboxStore(adminDb(), "fast", 30, DEFAULT_RETRY_POLICY);
      const claim = await onSkewedClock(SKEW_MS, () => fast.claim(requestId, "thread-1"));
      assert.equal(claim.kind === "held" && claim.why, "leased");
    });

    it("a worker whose clock is slow writes a lease that is live in real time", async () => {
      const requestId = await queuedEntry();
      const slow = outboxStore(adminDb(), "slow", 30, DEFAULT_RETRY_POLICY);
      assert.equal((await onSkewedClock(-SKEW_MS, () => slow.claim(requestId, "thread-1"))).kind, "claimed");
      const leaseUntil = millis((await adminDb().doc(paths.outboxEntry(requestId)).get()).get("leaseUntil"));
      assert.ok(leaseUntil > Date.now() + 25_000, `lease ends ${leaseUntil - Date.now()} ms from now`);
    });
  });

  describe("account lease", () => {
    it("a worker whose clock is fast cannot claim an account under another's live lease", async () => {
      await seedAccount(adminDb(), "acc-1", {
        owner: { workerId: "holder", leaseUntil: new Date(Date.now() + 30_000), epoch: 3 },
      });
      const fast = accountLeaseStore(adminDb(), "fast", 30);
      assert.equal((await onSkewedClock(SKEW_MS, () => fast.claim("acc-1"))).kind, "held");
    });

    it("a worker whose clock is slow writes a lease that is live in real time", async () => {
      await seedAccount(adminDb(), "acc-1");
      const slow = accountLeaseStore(adminDb(), "slow", 30);
      assert.equal((await onSkewedClock(-SKEW_MS, () => slow.claim("acc-1"))).kind, "claimed");
      const owner = (await adminDb().doc(paths.account("acc-1")).get()).get("owner");
      assert.ok(millis(owner.leaseUntil) > Date.now() + 25_000);
    });
  });

  describe("heartbeat lock", () => {
    it("an instance whose clock is fast cannot take the lock from a live holder", async () => {
      assert.equal(await heartbeatLock(adminDb(), "skew", "holder", 30).tick(), "claimed");
      const fast = heartbeatLock(adminDb(), "skew", "fast", 30);
      assert.equal(await onSkewedClock(SKEW_MS, () => fast.tick()), "held");
    });

    it("an instance whose clock is slow writes a lease that is live in real time, and renews it so", async () => {
      const slow = heartbeatLock(adminDb(), "skew", "slow", 30);
      assert.equal(await onSkewedClock(-SKEW_MS, () => slow.tick()), "claimed");
      const lock = () => adminDb().doc(paths.longrun.lock("skew")).get();
      assert.ok(millis((await lock()).get("leaseUntilTs")) > Date.now() + 25_000);
      assert.equal(await onSkewedClock(-SKEW_MS, () => slow.tick()), "written");
      assert.ok(millis((await lock()).get("leaseUntilTs")) > Date.now() + 25_000);
      assert.ok(slow.holds(), "it still knows it holds the lock");
    });
  });
});
