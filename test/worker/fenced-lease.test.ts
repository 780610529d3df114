import assert from "node:assert/strict";
import { Timestamp } from "firebase-admin/firestore";
import { paths } from "@wa-gateway/core";
import { DEFAULT_RETRY_POLICY } from "@wa-gateway/core/outbox";
import { accountLeaseStore } from "../../worker/src/accounts/accountLeaseStore";
import { heartbeatLock } from "../../worker/src/longrun/heartbeatLock";
import { outboxStore } from "../../worker/src/outbox/outboxStore";
import { adminDb, resetFirestore } from "../support/emulator";
import { seedAccount } from "../support/fixtures";
import { seedOutboxEntry } from "../support/longrunFixtures";

/** One holder of a lease, as its user (account, outbox entry, heartbeat lock) exposes it. */
interface Holder {
  claim(): Promise<{ kind: string; epoch?: number }>;
  renew(epoch: number): Promise<string>;
  /** A write that only the holder under `epoch` may make (a status, a finished send, a renewal). */
  writeUnder(epoch: number): Promise<string>;
}

interface LeaseUser {
  name: string;
  seed(): Promise<void>;
  holder(workerId: string): Holder;
  /** The stored lease runs out (written as a past time: no waiting on a wall clock). */
  expire(): Promise<void>;
  /** Whose lease the document names now. */
  storedHolder(): Promise<string | null>;
}

const PAST = () => Timestamp.fromMillis(Date.now() - 60_000);

const users: LeaseUser[] = [
  {
    name: "account lease (accounts/{id}.owner)",
    seed: () => seedAccount(adminDb(), "acc-1", { status: "connecting" }),
    holder(workerId) {
      const store = accountLeaseStore(adminDb(), workerId, 30);
      return {
        claim: () => store.claim("acc-1"),
        renew: (epoch) => store.renew("acc-1", epoch),
        writeUnder: (epoch) => store.setStatus("acc-1", epoch, "connected"),
      };
    },
    expire: async () => {
      await adminDb().doc(paths.account("acc-1")).update({ "owner.leaseUntil": PAST() });
    },
    storedHolder: async () => (await adminDb().doc(paths.account("acc-1")).get()).get("owner.workerId") ?? null,
  },
  {
    name: "outbox lease (outbox/{id} while processing)",
    seed: () => seedOutboxEntry(adminDb(), "req-1", { status: "queued", createdAt: new Date(Date.now() - 1000) }),
    holder(workerId) {
      const store = outboxStore(adminDb(), workerId, 30, DEFAULT_RETRY_POLICY);
      return {
        claim: () => store.claim("req-1", "t1"),
        renew: (epoch) => store.renew("req-1", epoch),
        writeUnder: (epoch) => store.finish("req-1", epoch, "t1"),
      };
    },
    expire: async () => {
      await adminDb().doc(paths.outboxEntry("req-1")).update({ leaseUntil: PAST() });
    },
    storedHolder: async () => (await adminDb().doc(paths.outboxEntry("req-1")).get()).get("claimedBy") ?? null,
  },
  {
    name: "heartbeat lock (wa_metrics/longrun/locks/{name})",
    seed: async () => undefined,
    holder(workerId) {
      const lock = heartbeatLock(adminDb(), "contract", workerId, 30);
      // The lock renews what it holds on its next tick; its epoch is the one it claimed.
      return {
        claim: async () => {
          const kind = await lock.tick();
          return { kind, epoch: lock.holds()?.epoch };
        },
        renew: () => lock.tick(),
        writeUnder: () => lock.tick(),
      };
    },
    expire: async () => {
      await adminDb().doc(paths.longrun.lock("contract")).update({ leaseUntilTs: PAST() });
    },
    storedHolder: async () => (await adminDb().doc(paths.longrun.lock("contract")).get()).get("holder") ?? null,
  },
];

for (const user of users) {
  describe(`the fenced lease: ${user.name}`, function () {
    this.timeout(20_000);
    beforeEach(async () => {
      await resetFirestore();
      await user.seed();
    });

    it("a free lease is claimed under a first epoch", async () => {
      const claim = await user.holder("w1").claim();
      assert.equal(claim.kind, "claimed");
      assert.equal(claim.epoch, 1);
      assert.equal(await user.storedHolder(), "w1");
    });

    it("the holder's renewal is written while the lease is its own", async () => {
      const w1 = user.holder("w1");
      const { epoch } = await w1.claim();
      assert.equal(await w1.renew(epoch!), "written");
      assert.equal(await user.storedHolder(), "w1");
    });

    it("another worker's claim of a live lease answers held and changes nothing", async () => {
      await user.holder("w1").claim();
      assert.equal((await user.holder("w2").claim()).kind, "held");
      assert.equal(await user.storedHolder(), "w1");
    });

    it("once the lease ran out, another worker takes it over under the next epoch", async () => {
      await user.holder("w1").claim();
      await user.expire();
      const takeover = await user.holder("w2").claim();
      assert.equal(takeover.kind, "claimed");
      assert.equal(takeover.epoch, 2);
      assert.equal(await user.storedHolder(), "w2");
    });

    it("the stale holder's write is fenced and leaves the new holder's lease alone", async () => {
      const w1 = user.holder("w1");
      const { epoch } = await w1.claim();
      await user.expire();
      await user.holder("w2").claim();
      assert.equal(await w1.writeUnder(epoch!), "fenced");
      assert.equal(await user.storedHolder(), "w2");
    });
  });
}
