import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  assertFails,
  assertSucceeds,
  initializeTestEnvironment,
  type RulesTestEnvironment,
} from "@firebase/rules-unit-testing";
import { Timestamp } from "firebase-admin/firestore";
import { collection, doc, getDoc, getDocs, orderBy, query, setLogLevel, where } from "firebase/firestore";
import { HttpsError } from "firebase-functions/https";
import { paths } from "@wa-gateway/core";
import { adminDb, emulator, resetFirestore } from "../support/emulator";
import { seedAccount, sendPayload } from "../support/fixtures";
import { callAs, captureConsole, loadFunctions } from "../support/functions";

const RULES = readFileSync(join(__dirname, "..", "..", "firestore.rules"), "utf8");
const fns = loadFunctions();
const PEER = "40711111111@s.whatsapp.net";

/** One run of the every-minute members sweep, as Cloud Scheduler would start it. */
async function sweep(): Promise<void> {
  const { error } = await captureConsole(async () => {
    await fns.whatsappAccountMembersSweep.run({ scheduleTime: new Date().toISOString(), jobName: "test" } as never);
  });
  if (error) throw error;
}

/** The callable's HttpsError code, or "ok". */
async function codeOf(call: () => Promise<unknown>): Promise<string> {
  const { error } = await captureConsole(call);
  if (error === undefined) return "ok";
  assert.ok(error instanceof HttpsError, `expected HttpsError, got ${String(error)}`);
  return error.code;
}

describe("membership is the boundary: a member removed from an account loses its threads", function () {
  this.timeout(30_000);
  let env: RulesTestEnvironment;
  const as = (uid: string) => env.authenticatedContext(uid).firestore();
  const threads = (uid: string) => collection(as(uid), "threads");

  before(async () => {
    setLogLevel("silent");
    const [host, port] = emulator().host.split(":");
    env = await initializeTestEnvironment({
      projectId: emulator().projectId,
      firestore: { rules: RULES, host: host!, port: Number(port) },
    });
  });

  after(() => env.cleanup());

  // alice owns t1 with bob as co-writer; carol stays; all three are members at first.
  beforeEach(async () => {
    await resetFirestore();
    await seedAccount(adminDb(), "acc-1", { memberUids: ["alice", "bob", "carol"] });
    const at = Timestamp.now();
    await adminDb()
      .doc(paths.thread("t1"))
      .set({
        ownerUid: "alice",
        coWriterUids: ["bob"],
        accountId: "acc-1",
        peerJid: PEER,
        lastMessageAt: at,
        lastMessagePreview: "hi",
        createdAt: at,
        updatedAt: at,
      });
    await adminDb().doc(paths.threadMessage("t1", "m1")).set({ direction: "out", text: "hi", createdAt: at });
    // Both can read it before.
    await assertSucceeds(getDoc(doc(as("alice"), paths.thread("t1"))));
    await assertSucceeds(getDocs(query(collection(as("bob"), paths.threadMessages("t1")), orderBy("createdAt"))));
  });

  /** What alice (owner) and bob (co-writer) have lost, and where the thread went. */
  async function assertLost() {
    const mine = await getDocs(
      query(threads("alice"), where("ownerUid", "==", "alice"), orderBy("lastMessageAt", "desc")),
    );
    assert.equal(mine.size, 0, "alice's 'my threads' query no longer finds it");
    const coWritten = await getDocs(
      query(threads("bob"), where("coWriterUids", "array-contains", "bob"), orderBy("lastMessageAt", "desc")),
    );
    assert.equal(coWritten.size, 0, "nor bob's");
    // A message that arrives after the removal.
    await adminDb()
      .doc(paths.threadMessage("t1", "in_after"))
      .set({ direction: "in", text: "new", createdAt: Timestamp.now() });
    for (const uid of ["alice", "bob"]) {
      await assertFails(getDoc(doc(as(uid), paths.thread("t1"))));
      await assertFails(getDoc(doc(as(uid), paths.threadMessage("t1", "in_after"))));
      await assertFails(getDocs(query(collection(as(uid), paths.threadMessages("t1")), orderBy("createdAt"))));
    }
    // The thread went back to the account's unassigned inbox, where a member finds and claims it.
    const thread = (await adminDb().doc(paths.thread("t1")).get()).data()!;
    assert.equal(thread.ownerUid, null);
    assert.deepEqual(thread.coWriterUids, []);
    const inbox = await getDocs(
      query(
        threads("carol"),
        where("accountId", "==", "acc-1"),
        where("ownerUid", "==", null),
        orderBy("lastMessageAt", "desc"),
      ),
    );
    assert.deepEqual(
      inbox.docs.map((d) => d.id),
      ["t1"],
    );
    // And the callables refuse them.
    assert.equal(
      await codeOf(() => callAs(fns.whatsappProxyClaimThread, { threadId: "t1" }, { uid: "alice" })),
      "permission-denied",
    );
    assert.equal(
      await codeOf(() =>
        callAs(fns.whatsappProxySetThreadMembers, { threadId: "t1", coWriterUids: ["carol"] }, { uid: "alice" }),
      ),
      "permission-denied",
    );
    for (const uid of ["alice", "bob"]) {
      assert.equal(
        await codeOf(() =>
          callAs(fns.whatsappProxySend, sendPayload({ threadId: "t1", toJid: PEER, clientMessageId: `after-${uid}` }), {
            uid,
          }),
        ),
        "permission-denied",
      );
    }
    assert.equal(await codeOf(() => callAs(fns.whatsappProxyClaimThread, { threadId: "t1" }, { uid: "carol" })), "ok");
  }

  it("removed with whatsappProxySetAccountMembers: at once", async () => {
    const { result } = await captureConsole(() =>
      callAs<{ threadsChanged: number }>(
        fns.whatsappProxySetAccountMembers,
        { accountId: "acc-1", memberUids: ["carol"] },
        {
          uid: "root",
          admin: true,
        },
      ),
    );
    assert.equal(result?.threadsChanged, 1);
    await assertLost();
  });

  it("removed by a hand edit of memberUids: the thread and its messages at once, the rest by the next sweep", async () => {
    await adminDb()
      .doc(paths.account("acc-1"))
      .update({ memberUids: ["carol"] });
    for (const uid of ["alice", "bob"]) {
      await assertFails(getDoc(doc(as(uid), paths.thread("t1"))));
      await assertFails(getDocs(query(collection(as(uid), paths.threadMessages("t1")), orderBy("createdAt"))));
    }
    // Before the sweep alice is still the thread's owner on paper: the callables go by membership.
    assert.equal(
      await codeOf(() =>
        callAs(fns.whatsappProxySetThreadMembers, { threadId: "t1", coWriterUids: ["mallory"] }, { uid: "alice" }),
      ),
      "permission-denied",
    );
    assert.deepEqual((await adminDb().doc(paths.thread("t1")).get()).get("coWriterUids"), ["bob"]);
    await sweep();
    await assertLost();
  });

  it("only an admin sets members; an unknown account is not-found and bad input writes nothing", async () => {
    const set = (data: unknown, auth: { uid: string; admin?: boolean }) =>
      codeOf(() => callAs(fns.whatsappProxySetAccountMembers, data, auth));
    assert.equal(await set({ accountId: "acc-1", memberUids: [] }, { uid: "alice" }), "permission-denied");
    assert.equal(await set({ accountId: "nope", memberUids: [] }, { uid: "root", admin: true }), "not-found");
    assert.equal(await set({ accountId: "acc-1", memberUids: [""] }, { uid: "root", admin: true }), "invalid-argument");
    const account = (await adminDb().doc(paths.account("acc-1")).get()).data()!;
    assert.deepEqual(account.memberUids, ["alice", "bob", "carol"]);
    assert.equal((await adminDb().doc(paths.thread("t1")).get()).get("ownerUid"), "alice");
  });

  it("a sweep finds nothing to do for accounts whose threads already match their members", async () => {
    await sweep();
    const thread = (await adminDb().doc(paths.thread("t1")).get()).data()!;
    assert.equal(thread.ownerUid, "alice");
    assert.deepEqual(thread.coWriterUids, ["bob"]);
  });
});
