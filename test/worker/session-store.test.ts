import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { SignalDataSet } from "@whiskeysockets/baileys";
import { paths } from "@wa-gateway/core";
import { accountLeaseStore } from "../../worker/src/accounts/accountLeaseStore";
import { SessionFenceLost } from "../../worker/src/accounts/sessionStore";
import { sessionAuthState } from "../../worker/src/transport/baileys/authState";
import { loadBaileys, type Baileys } from "../../worker/src/transport/baileys/module";
import { adminDb, resetFirestore } from "../support/emulator";
import { countDocs, seedAccount } from "../support/fixtures";
import { signalParty } from "../support/fakeWhatsApp/signalParty";

const ACCOUNT = "acc-1";

/** A worker that claimed the account lease, and the session store of its epoch. */
async function holder(workerId: string) {
  const accounts = accountLeaseStore(adminDb(), workerId, 30);
  const claim = await accounts.claim(ACCOUNT);
  assert.equal(claim.kind, "claimed");
  const epoch = (claim as { epoch: number }).epoch;
  return { accounts, epoch, session: accounts.session(ACCOUNT, epoch) };
}

describe("the Firestore session store: one document per key, fenced by the account lease", function () {
  this.timeout(30_000);
  let B: Baileys;

  before(async () => {
    B = await loadBaileys();
  });

  beforeEach(async () => {
    await resetFirestore();
    await seedAccount(adminDb(), ACCOUNT, { status: "pending_qr" });
  });

  it("every key type round-trips byte for byte, ids with '/' included", async () => {
    const { session } = await holder("w1");
    assert.equal(await session.open(), "opened");
    const appStateKey = B.proto.Message.AppStateSyncKeyData.fromObject({
      keyData: randomBytes(32),
      fingerprint: { rawId: 7, currentIndex: 2, deviceIndexes: [0, 2] },
      timestamp: 1_700_000_000,
    });
    const written = {
      "pre-key": { "17": { private: randomBytes(32), public: randomBytes(32) } },
      session: {
        "4915100000001_1.0": {
          _sessions: { [randomBytes(33).toString("base64")]: { ratchet: randomBytes(32) } },
          version: "v1",
        },
      },
      "sender-key": {
        "group@g.us::4915::0": [{ senderKeyId: 1, senderChainKey: { iteration: 0, seed: randomBytes(32) } }],
      },
      "sender-key-memory": { "group@g.us": { "4915100000001:0@s.whatsapp.net": true } },
      "app-state-sync-key": { "AAAAAFx/ab+c/d==": appStateKey },
      "app-state-sync-version": {
        regular_high: { version: 3, hash: randomBytes(128), indexValueMap: { k: { valueMac: randomBytes(32) } } },
      },
      "lid-mapping": { "4915100000001": "123456789012345", "123456789012345_reverse": "4915100000001" },
      "device-list": { "4915100000001": ["0", "3"] },
      tctoken: { "123456789012345@lid": { token: randomBytes(24), timestamp: "1700000000" } },
      "identity-key": { "123456789012345_1.0": randomBytes(33) },
    };
    const { state } = await sessionAuthState(B, session);
    await state.keys.set(written as unknown as SignalDataSet);

    const reread = await sessionAuthState(B, (await holder("w1")).session);
    for (const [type, values] of Object.entries(written)) {
      const read = await reread.state.keys.get(type as keyof typeof written, Object.keys(values));
      if (type === "app-state-sync-key") {
        const key = read["AAAAAFx/ab+c/d=="] as typeof appStateKey;
        assert.ok(key instanceof B.proto.Message.AppStateSyncKeyData, "revived as the protobuf class");
        assert.deepEqual(Buffer.from(key.keyData!), Buffer.from(appStateKey.keyData!));
        assert.deepEqual(key.fingerprint?.deviceIndexes, [0, 2]);
      } else {
        assert.deepEqual(read, values, type);
      }
    }
  });

  it("a key larger than a Firestore document (a 20 000-entry app-state-sync-version) commits and reads back byte for byte", async () => {
    const { session } = await holder("w1");
    const { state } = await sessionAuthState(B, session);
    const indexValueMap: Record<string, { valueMac: Buffer }> = {};
    for (let i = 0; i < 20_000; i++) indexValueMap[randomBytes(32).toString("base64")] = { valueMac: randomBytes(32) };
    const version = { version: 20_000, hash: randomBytes(128), indexValueMap };
    const preKey = { private: randomBytes(32), public: randomBytes(32) };
    // One commit, as Baileys makes it: the big key and a small one together.
    await state.keys.set({
      "app-state-sync-version": { regular_high: version },
      "pre-key": { "1": preKey },
    } as unknown as SignalDataSet);

    const reread = await sessionAuthState(B, (await holder("w1")).session);
    const read = await reread.state.keys.get("app-state-sync-version", ["regular_high"]);
    assert.deepEqual(read.regular_high, version);
    assert.deepEqual(await reread.state.keys.get("pre-key", ["1"]), { "1": preKey });

    // It shrinks back into one document (written by a store that never read it), then goes: nothing
    // of it is left behind.
    const small = { version: 20_001, hash: randomBytes(128), indexValueMap: { k: { valueMac: randomBytes(32) } } };
    const next = await sessionAuthState(B, (await holder("w1")).session);
    await next.state.keys.set({ "app-state-sync-version": { regular_high: small } } as unknown as SignalDataSet);
    assert.equal(await countDocs(adminDb(), paths.waSessionKeys(ACCOUNT)), 2, "the key and the pre-key");
    assert.deepEqual((await next.state.keys.get("app-state-sync-version", ["regular_high"])).regular_high, small);
    await next.state.keys.set({ "app-state-sync-version": { regular_high: null }, "pre-key": { "1": null } });
    assert.equal(await countDocs(adminDb(), paths.waSessionKeys(ACCOUNT)), 0);
  });

  it("a null value deletes the key; absent ids are simply not returned", async () => {
    const { session } = await holder("w1");
    const { state } = await sessionAuthState(B, session);
    await state.keys.set({ "pre-key": { "1": { private: randomBytes(32), public: randomBytes(32) } } });
    await state.keys.set({ "pre-key": { "1": null } });
    assert.deepEqual(await state.keys.get("pre-key", ["1", "2"]), {});
    assert.equal(await countDocs(adminDb(), paths.waSessionKeys(ACCOUNT)), 0);
  });

  it("the first login's 800 pre-keys go through in batches under Firestore's limits, creds last", async () => {
    const { session } = await holder("w1");
    const { state, saveCreds } = await sessionAuthState(B, session);
    const { update } = await B.getNextPreKeysNode(state, 800);
    Object.assign(state.creds, update);
    await saveCreds();
    assert.equal(await countDocs(adminDb(), paths.waSessionKeys(ACCOUNT)), 800);
    const reread = await sessionAuthState(B, (await holder("w1")).session);
    assert.equal(reread.linked, true);
    assert.equal(reread.state.creds.nextPreKeyId, 801);
    assert.deepEqual(reread.state.creds.signedIdentityKey, state.creds.signedIdentityKey);
  });

  it("a stale holder's commit is refused once a newer holder opened the session, and writes nothing", async () => {
    const stale = await holder("w1");
    await stale.session.commit({ keys: { "pre-key": { "1": { private: randomBytes(32), public: randomBytes(32) } } } });
    await adminDb()
      .doc(paths.account(ACCOUNT))
      .update({ "owner.leaseUntil": new Date(0) });
    const fresh = await holder("w2");
    assert.ok(fresh.epoch > stale.epoch);
    assert.equal(await fresh.session.open(), "opened");

    await assert.rejects(
      stale.session.commit({ keys: { session: { "peer_1.0": { regressed: true } } } }),
      SessionFenceLost,
    );
    assert.equal(
      (
        await adminDb()
          .doc(paths.waSessionKey(ACCOUNT, "session", "peer_1.0"))
          .get()
      ).exists,
      false,
    );
    assert.equal(await stale.session.open(), "fenced", "an older epoch cannot take the session back");
  });

  it("a read that fails is an error, never an empty session", async () => {
    const { session } = await holder("w1");
    const { state, saveCreds } = await sessionAuthState(B, session);
    await saveCreds();
    await state.keys.set({ "pre-key": { "1": { private: randomBytes(32), public: randomBytes(32) } } });
    // Firestore unreachable: every read rejects, as it does when the network or the emulator is down.
    const unreachable = () => Promise.reject(new Error("14 UNAVAILABLE: connection refused"));
    const db = adminDb();
    // A reference's reads reject, also once the data layer has attached its converter.
    const unreadable = <R extends object>(ref: R): R =>
      new Proxy(ref, {
        get: (target, p) => {
          if (p === "get") return unreachable;
          if (p === "withConverter")
            return (converter: never) =>
              unreadable((target as unknown as FirebaseFirestore.DocumentReference).withConverter(converter));
          return Reflect.get(target, p);
        },
      });
    const broken = new Proxy(db, {
      get(target, prop) {
        if (prop === "getAll") return unreachable;
        if (prop === "doc") return (path: string) => unreadable(target.doc(path));
        return Reflect.get(target, prop);
      },
    });
    const cut = accountLeaseStore(broken, "w1", 30).session(ACCOUNT, 1);
    await assert.rejects(sessionAuthState(B, cut));
    await assert.rejects(cut.readKeys("pre-key", ["1"]));
  });

  it("a corrupt document names its path instead of reading as absent", async () => {
    await adminDb().doc(paths.waSession(ACCOUNT)).set({ epoch: 1, creds: 42 });
    const { session } = await holder("w1");
    await assert.rejects(session.readCreds(), new RegExp(paths.waSession(ACCOUNT)));
  });

  it("clear deletes the creds and every key under the lease, and a stale holder deletes nothing", async () => {
    const stale = await holder("w1");
    await stale.session.commit({
      creds: { me: { id: "4915100000099:1@s.whatsapp.net" } },
      keys: { "pre-key": Object.fromEntries(Array.from({ length: 450 }, (_, i) => [`${i + 1}`, { n: i }])) },
    });
    await adminDb()
      .doc(paths.account(ACCOUNT))
      .update({ "owner.leaseUntil": new Date(0) });
    const fresh = await holder("w2");
    assert.equal(await stale.session.clear(), "fenced");
    assert.equal(await countDocs(adminDb(), paths.waSessionKeys(ACCOUNT)), 450);

    assert.equal(await fresh.session.clear(), "written");
    assert.equal(await countDocs(adminDb(), paths.waSessionKeys(ACCOUNT)), 0);
    assert.equal((await adminDb().doc(paths.waSession(ACCOUNT)).get()).exists, false);
    assert.equal(await fresh.session.readCreds(), undefined);
  });

  it("real Signal through the store: a conversation survives a rebuild from Firestore, and a replay is rejected", async () => {
    const alice = await signalParty();
    const first = await holder("w1");
    const bobAuth = await sessionAuthState(B, first.session);
    const bob = await signalParty(bobAuth.state.keys, bobAuth.state.creds);
    const { update } = await B.getNextPreKeysNode({ creds: bob.creds, keys: bob.keys }, 5);
    Object.assign(bob.creds, update);
    await bobAuth.saveCreds();
    const preKey = (await bob.keys.get("pre-key", ["1"]))["1"]!;
    const bobAddress = "4915100000099:1@s.whatsapp.net";
    const aliceAddress = "4915100000001@s.whatsapp.net";
    await alice.repository.injectE2ESession({
      jid: bobAddress,
      session: {
        registrationId: bob.creds.registrationId,
        identityKey: B.generateSignalPubKey(bob.creds.signedIdentityKey.public),
        signedPreKey: {
          keyId: bob.creds.signedPreKey.keyId,
          publicKey: B.generateSignalPubKey(bob.creds.signedPreKey.keyPair.public),
          signature: bob.creds.signedPreKey.signature,
        },
        preKey: { keyId: 1, publicKey: B.generateSignalPubKey(preKey.public) },
      },
    });
    const say = async (from: typeof alice, to: typeof alice, toAddress: string, fromAddress: string, text: string) => {
      const sealed = await from.repository.encryptMessage({ jid: toAddress, data: Buffer.from(text) });
      const opened = await to.repository.decryptMessage({ jid: fromAddress, ...sealed });
      assert.equal(Buffer.from(opened).toString(), text);
      return sealed;
    };
    await say(alice, bob, bobAddress, aliceAddress, "hello bob");
    await say(bob, alice, aliceAddress, bobAddress, "hello alice");

    // The worker dies; another one claims the account and rebuilds bob from Firestore alone.
    await adminDb()
      .doc(paths.account(ACCOUNT))
      .update({ "owner.leaseUntil": new Date(0) });
    const second = await holder("w2");
    const rebuiltAuth = await sessionAuthState(B, second.session);
    assert.equal(rebuiltAuth.linked, true);
    const rebuilt = await signalParty(rebuiltAuth.state.keys, rebuiltAuth.state.creds);
    const sealed = await say(alice, rebuilt, bobAddress, aliceAddress, "still there?");
    await say(rebuilt, alice, aliceAddress, bobAddress, "yes");

    await assert.rejects(rebuilt.repository.decryptMessage({ jid: aliceAddress, ...sealed }), "a replayed message");
  });
});
