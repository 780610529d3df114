import assert from "node:assert/strict";
import { SessionFenceLost } from "../../../worker/src/accounts/sessionStore";
import type { StoreWorld } from "./storeWorld";

/** The session store (from the account lease store), whichever database is under it. */
export function sessionContract(world: StoreWorld): void {
  describe("the session store", () => {
    beforeEach(() => world.putAccount("acc-1"));
    const sessionOf = (workerId: string, epoch: number) => world.accountLeases(workerId).session("acc-1", epoch);
    /** The lease claimed by `workerId` (the previous one run out first): a session opens only under it. */
    const holderOf = async (workerId: string) => {
      await world.expireLeases();
      const claim = await world.accountLeases(workerId).claim("acc-1");
      assert.equal(claim.kind, "claimed");
      return sessionOf(workerId, (claim as { epoch: number }).epoch);
    };

    it("has no creds for an account never linked", async () => {
      assert.equal(await sessionOf("w1", 1).readCreds(), undefined);
    });

    it("opens only under the account lease: a worker that does not hold it is fenced", async () => {
      assert.equal(await sessionOf("w1", 1).open(), "fenced");
      assert.equal(await (await holderOf("w1")).open(), "opened");
    });

    it("reads back creds and keys exactly as committed, Buffers included, and only the keys that exist", async () => {
      const session = await holderOf("w1");
      assert.equal(await session.open(), "opened");
      const key = { public: Buffer.from([1, 2, 3]), keyId: 7 };
      await session.commit({
        creds: { meJid: "4070@s.whatsapp.net" },
        keys: { "pre-key": { "1": key, "a/b": { n: 1 } } },
      });
      assert.deepEqual(await session.readCreds(), { meJid: "4070@s.whatsapp.net" });
      const read = await session.readKeys("pre-key", ["1", "a/b", "9"]);
      assert.deepEqual(read, { "1": key, "a/b": { n: 1 } });
      assert.ok(Buffer.isBuffer((read["1"] as { public: unknown }).public));
    });

    it("deletes a key committed as null", async () => {
      const session = await holderOf("w1");
      await session.commit({ keys: { "pre-key": { "1": { n: 1 } } } });
      await session.commit({ keys: { "pre-key": { "1": null } } });
      assert.deepEqual(await session.readKeys("pre-key", ["1"]), {});
    });

    it("once a newer holder has opened the session, an older holder's commit fails and writes nothing", async () => {
      const old = await holderOf("w1");
      await old.commit({ creds: { meJid: "old" } });
      assert.equal(await (await holderOf("w2")).open(), "opened");
      await assert.rejects(old.commit({ creds: { meJid: "rolled back" } }), SessionFenceLost);
      assert.deepEqual(await old.readCreds(), { meJid: "old" });
    });

    it("answers fenced to an older holder opening after a newer one", async () => {
      const old = await holderOf("w1");
      assert.equal(await (await holderOf("w2")).open(), "opened");
      assert.equal(await old.open(), "fenced");
    });

    it("clears creds and keys under the account lease, and says when", async () => {
      const { epoch } = (await world.accountLeases("w1").claim("acc-1")) as { epoch: number };
      const session = sessionOf("w1", epoch);
      await session.commit({ creds: { meJid: "x" }, keys: { "pre-key": { "1": { n: 1 } } } });
      assert.equal(await session.clear(), "written");
      assert.equal(await session.readCreds(), undefined);
      assert.deepEqual(await session.readKeys("pre-key", ["1"]), {});
      assert.ok((await world.account("acc-1"))!.sessionClearedAt);
    });

    it("stays cleared: after a clear the same holder neither opens nor commits", async () => {
      const session = await holderOf("w1");
      await session.commit({ creds: { meJid: "x" } });
      assert.equal(await session.clear(), "written");
      assert.equal(await session.open(), "fenced");
      await assert.rejects(session.commit({ creds: { meJid: "late" } }), SessionFenceLost);
      assert.equal(await session.readCreds(), undefined);
    });

    it("answers fenced to a clear by a holder whose lease was taken over, and keeps the session", async () => {
      const { epoch } = (await world.accountLeases("w1").claim("acc-1")) as { epoch: number };
      const session = sessionOf("w1", epoch);
      await session.commit({ creds: { meJid: "x" }, keys: { "pre-key": { "1": { n: 1 } } } });
      await world.expireLeases();
      await world.accountLeases("w2").claim("acc-1");
      assert.equal(await session.clear(), "fenced");
      assert.deepEqual(await session.readCreds(), { meJid: "x" });
      assert.deepEqual(await session.readKeys("pre-key", ["1"]), { "1": { n: 1 } });
    });
  });
}
