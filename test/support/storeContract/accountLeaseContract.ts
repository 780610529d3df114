import assert from "node:assert/strict";
import type { AccountView } from "../../../worker/src/accounts/accountLeaseStore";
import type { StoreWorld } from "./storeWorld";

/** The account lease store's answers and writes, whichever database is under it. */
export function accountLeaseContract(world: StoreWorld): void {
  describe("the account lease store", () => {
    const w1 = () => world.accountLeases("w1");
    const w2 = () => world.accountLeases("w2");
    const claimed = async (accountId = "acc-1") => {
      const claim = await w1().claim(accountId);
      assert.ok(claim.kind === "claimed", `answered ${claim.kind}`);
      return claim.epoch;
    };
    beforeEach(() => world.putAccount("acc-1"));

    it("claims a free lease under the first epoch, not as a takeover", async () => {
      assert.deepEqual(await w1().claim("acc-1"), { kind: "claimed", epoch: 1, takeover: false });
      assert.equal((await world.account("acc-1"))?.owner?.workerId, "w1");
    });

    it("lets exactly one of two workers claiming at once have the lease", async () => {
      const claims = await Promise.all([w1().claim("acc-1"), w2().claim("acc-1")]);
      assert.deepEqual(claims.map((c) => c.kind).sort(), ["claimed", "held"]);
      assert.equal((await world.account("acc-1"))!.owner?.epoch, 1);
    });

    it("answers missing for an account that does not exist", async () => {
      assert.deepEqual(await w1().claim("nobody"), { kind: "missing" });
    });

    it("answers held, until the live lease runs out, to another worker, and changes nothing", async () => {
      await claimed();
      const until = (await world.account("acc-1"))!.owner!.leaseUntil.toMillis();
      assert.deepEqual(await w2().claim("acc-1"), { kind: "held", until });
      assert.equal((await world.account("acc-1"))?.owner?.workerId, "w1");
    });

    it("claims again under a new epoch when the holder asks again", async () => {
      await claimed();
      assert.deepEqual(await w1().claim("acc-1"), { kind: "claimed", epoch: 2, takeover: false });
    });

    it("once the lease ran out, another worker takes it over under the next epoch", async () => {
      await claimed();
      await world.expireLeases();
      assert.deepEqual(await w2().claim("acc-1"), { kind: "claimed", epoch: 2, takeover: true });
    });

    it("fences every write of the holder the lease was taken from, and leaves the account as the new holder wrote it", async () => {
      const stale = await claimed();
      await world.expireLeases();
      const fresh = await w2().claim("acc-1");
      assert.ok(fresh.kind === "claimed", `answered ${fresh.kind}`);
      await w2().setStatus("acc-1", 2, "connected");
      const old = w1();
      assert.equal(await old.renew("acc-1", stale), "fenced");
      assert.equal(await old.setStatus("acc-1", stale, "pending_qr"), "fenced");
      assert.equal(await old.recordDisconnect("acc-1", stale, { code: 428, status: "disconnected" }), "fenced");
      assert.equal(await old.markInboundStuck("acc-1", stale, Date.now()), "fenced");
      assert.equal(await old.release("acc-1", stale), "fenced");
      const account = (await world.account("acc-1"))!;
      assert.equal(account.status, "connected");
      assert.deepEqual([account.owner?.workerId, account.owner?.epoch], ["w2", 2]);
      assert.equal(account.reconnectCount, 0);
    });

    it("answers missing to a write for an account that does not exist", async () => {
      assert.equal(await w1().setStatus("nobody", 1, "connected"), "missing");
      assert.equal(await w1().renew("nobody", 1), "missing");
    });

    it("renews the holder's lease further into the future", async () => {
      const epoch = await claimed();
      const before = (await world.account("acc-1"))!.owner!.leaseUntil.toMillis();
      await world.expireLeases();
      assert.equal(await w1().renew("acc-1", epoch), "written");
      assert.ok((await world.account("acc-1"))!.owner!.leaseUntil.toMillis() >= before);
      assert.equal((await w2().claim("acc-1")).kind, "held");
    });

    it("a released lease is claimed by another worker at once, not as a takeover; with a status when given", async () => {
      const epoch = await claimed();
      assert.equal(await w1().release("acc-1", epoch, "disconnected"), "written");
      const account = (await world.account("acc-1"))!;
      assert.equal(account.status, "disconnected");
      assert.deepEqual(await w2().claim("acc-1"), { kind: "claimed", epoch: epoch + 1, takeover: false });
    });

    // A release keeps the epoch: a claim after it that started again from 1 would be fenced out of
    // the session the last holder committed under a higher epoch, and the account could not log in.
    it("after a takeover and a release, the next claim is above every earlier epoch and opens the session", async () => {
      await claimed();
      await world.expireLeases();
      const taken = await w2().claim("acc-1");
      assert.equal(taken.kind, "claimed");
      const takenEpoch = (taken as { epoch: number }).epoch;
      assert.equal(await w2().session("acc-1", takenEpoch).open(), "opened");
      await w2()
        .session("acc-1", takenEpoch)
        .commit({ creds: { meJid: "4070@s.whatsapp.net" } });
      assert.equal(await w2().release("acc-1", takenEpoch, "disconnected"), "written");
      const next = await world.accountLeases("w3").claim("acc-1");
      assert.equal(next.kind, "claimed");
      const nextEpoch = (next as { epoch: number }).epoch;
      assert.ok(nextEpoch > takenEpoch, `epoch ${nextEpoch} after ${takenEpoch}`);
      assert.equal(await world.accountLeases("w3").session("acc-1", nextEpoch).open(), "opened");
    });

    it("a disconnect that gives the lease back keeps its epoch for the next claim", async () => {
      const epoch = await claimed();
      await w1().recordDisconnect("acc-1", epoch, { code: 428, status: "disconnected", release: true });
      assert.deepEqual(await w2().claim("acc-1"), { kind: "claimed", epoch: epoch + 1, takeover: false });
    });

    it("writes a status with its fields, times stored as Timestamps", async () => {
      const epoch = await claimed();
      const expiresAt = new Date(Date.now() + 60_000);
      assert.equal(
        await w1().setStatus("acc-1", epoch, "pending_qr", { qr: "QR-1", qrExpiresAt: expiresAt }),
        "written",
      );
      const account = (await world.account("acc-1"))!;
      assert.deepEqual([account.status, account.qr], ["pending_qr", "QR-1"]);
      assert.equal(account.qrExpiresAt?.toMillis(), expiresAt.getTime());
    });

    it("records a disconnect: code, time, count, the last hour's closes, the cool-down, the QR cleared", async () => {
      const epoch = await claimed();
      await w1().setStatus("acc-1", epoch, "pending_qr", { qr: "QR-1" });
      const cooldownUntilMs = Date.now() + 900_000;
      assert.equal(
        await w1().recordDisconnect("acc-1", epoch, { code: 428, status: "disconnected", cooldownUntilMs }),
        "written",
      );
      await w1().recordDisconnect("acc-1", epoch, { code: undefined, status: "disconnected" });
      const account = (await world.account("acc-1"))!;
      assert.equal(account.status, "disconnected");
      assert.equal(account.lastDisconnect?.code, 0);
      assert.equal(account.reconnectCount, 2);
      assert.equal(account.recentDisconnects?.length, 2);
      assert.equal(account.reconnectCooldownUntil, null);
      assert.equal(account.qr, null);
      assert.equal(account.owner?.workerId, "w1");
    });

    it("records a disconnect that gives the lease back in the same write", async () => {
      const epoch = await claimed();
      await w1().recordDisconnect("acc-1", epoch, { code: 401, status: "logged_out", release: true });
      const account = (await world.account("acc-1"))!;
      assert.deepEqual([account.status, account.lastDisconnect?.code], ["logged_out", 401]);
      assert.ok(account.owner!.leaseUntil.toMillis() <= Date.now() + 1_000, "the lease ends with the write");
    });

    it("never takes a removed account out of removed, though the holder's write is taken", async () => {
      const epoch = await claimed();
      await world.putAccount("acc-1", { ...(await world.account("acc-1")), status: "removed" });
      assert.equal(await w1().setStatus("acc-1", epoch, "connected", { qr: null }), "written");
      assert.equal((await world.account("acc-1"))!.status, "removed");
    });

    it("marks inbound storage stuck since a time, and clears the mark", async () => {
      const epoch = await claimed();
      const since = Date.now() - 5_000;
      await w1().markInboundStuck("acc-1", epoch, since);
      assert.equal((await world.account("acc-1"))!.inboundStuckSince?.toMillis(), since);
      await w1().markInboundStuck("acc-1", epoch, null);
      assert.equal((await world.account("acc-1"))!.inboundStuckSince, null);
    });

    it("marks a dormant account's backlog resolved without a lease, and rejects for a missing account", async () => {
      await w1().markBacklogResolved("acc-1");
      assert.ok((await world.account("acc-1"))!.backlogResolvedAt);
      await assert.rejects(w1().markBacklogResolved("nobody"));
    });

    it("watches every account: all of them first, then each change, and a deletion as no view", async () => {
      await world.putAccount("acc-2", { status: "pending_qr" });
      const batches: { accountId: string; view: AccountView | null }[][] = [];
      let heard: () => void = () => undefined;
      const unsubscribe = w1().watch(
        (changes) => {
          batches.push(changes);
          heard();
        },
        (err) => assert.fail(err),
      );
      const next = (n: number) =>
        new Promise<void>((resolve) => {
          heard = () => batches.length >= n && resolve();
          heard();
        });
      try {
        await next(1);
        assert.deepEqual(batches[0]!.map((c) => [c.accountId, c.view?.status]).sort(), [
          ["acc-1", "connecting"],
          ["acc-2", "pending_qr"],
        ]);
        const epoch = await claimed();
        await next(2);
        const change = batches.flat().findLast((c) => c.accountId === "acc-1")!;
        assert.deepEqual(change.view?.owner, { holder: "w1", untilMs: change.view!.owner!.untilMs, epoch });
        await world.deleteAccount("acc-2");
        await next(3);
        assert.deepEqual(batches[2], [{ accountId: "acc-2", view: null }]);
      } finally {
        unsubscribe();
      }
    });
  });
}
