import assert from "node:assert/strict";
import {
  GatewayError,
  handleClaimThread,
  type ClaimAttempts,
  handleSetThreadMembers,
  type ThreadStore,
  type ThreadView,
} from "@wa-gateway/core/proxies";

const now = () => new Date("2026-11-23T12:00:00Z");

/** One thread and its account in memory; `update` applies the decision as the Firestore store does. */
function storeWith(thread: ThreadView | undefined, memberUids: string[] | undefined) {
  const state = { thread: thread && { ...thread }, writes: 0 };
  const store: ThreadStore = {
    async update(_threadId, decide) {
      const { fields, result } = decide(state.thread && { ...state.thread }, memberUids && { memberUids });
      if (fields) {
        state.thread = { ...state.thread!, ...(fields as Partial<ThreadView>) };
        state.writes++;
      }
      return result;
    },
  };
  return { deps: { store, now, attempts: attemptsLog(), limit: { maxClaims: 100, windowSec: 60 } }, state };
}

/** Claim attempts in memory, as the Firestore log counts them: by caller, after `since`. */
function attemptsLog(): ClaimAttempts & { log: { uid: string; at: Date }[] } {
  const log: { uid: string; at: Date }[] = [];
  return {
    log,
    async record(uid, at, since) {
      log.push({ uid, at });
      return log.filter((a) => a.uid === uid && a.at > since).length;
    },
  };
}

const member = (uid: string) => ({ uid, admin: false });
const inbox = (): ThreadView => ({ ownerUid: null, coWriterUids: [], accountId: "acc-1" });

async function refusal(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof GatewayError);
    return err;
  }
  assert.fail("expected a refusal");
}

describe("thread claims", () => {
  it("a member takes a thread nobody owns", async () => {
    const { deps, state } = storeWith(inbox(), ["alice", "bob"]);
    const answer = await handleClaimThread(deps, member("alice"), { threadId: "t1" });
    assert.deepEqual(answer, { success: true, threadId: "t1", ownerUid: "alice", coWriterUids: [] });
    assert.equal(state.thread!.ownerUid, "alice");
  });

  it("a second claimer is refused and told who owns it; the owner's repeat is a no-op", async () => {
    const { deps, state } = storeWith(inbox(), ["alice", "bob"]);
    await handleClaimThread(deps, member("alice"), { threadId: "t1" });
    const err = await refusal(handleClaimThread(deps, member("bob"), { threadId: "t1" }));
    assert.equal(err.code, "failed-precondition");
    assert.match(err.message, /owned by alice/);
    await handleClaimThread(deps, member("alice"), { threadId: "t1" });
    assert.equal(state.writes, 1);
  });

  it("no existence oracle: a missing thread and another account's thread get the same answer", async () => {
    const missing = await refusal(
      handleClaimThread(storeWith(undefined, ["alice"]).deps, member("carol"), { threadId: "t1" }),
    );
    const notYours = await refusal(
      handleClaimThread(storeWith(inbox(), ["alice"]).deps, member("carol"), { threadId: "t1" }),
    );
    assert.equal(missing.code, "permission-denied");
    assert.deepEqual([notYours.code, notYours.message], [missing.code, missing.message]);
    // A member asking for a thread that does not exist learns nothing more than an outsider.
    const memberMissing = await refusal(
      handleClaimThread(storeWith(undefined, ["alice"]).deps, member("alice"), { threadId: "t1" }),
    );
    assert.deepEqual([memberMissing.code, memberMissing.message], [missing.code, missing.message]);
    assert.equal(
      (await refusal(handleClaimThread(storeWith(inbox(), ["alice"]).deps, member("alice"), { threadId: "a/b" }))).code,
      "invalid-argument",
    );
  });

  it("claims are bounded per caller, refused ones included, before anything is read", async () => {
    const { deps, state } = storeWith(undefined, ["alice"]);
    const bounded = { ...deps, limit: { maxClaims: 3, windowSec: 60 } };
    for (let i = 0; i < 3; i++)
      assert.equal(
        (await refusal(handleClaimThread(bounded, member("mallory"), { threadId: `t${i}` }))).code,
        "permission-denied",
      );
    const limited = await refusal(handleClaimThread(bounded, member("mallory"), { threadId: "t9" }));
    assert.equal(limited.code, "resource-exhausted");
    assert.equal(state.writes, 0);
    // Another caller has their own bound; the window moves on.
    assert.equal(
      (await refusal(handleClaimThread(bounded, member("carol"), { threadId: "t9" }))).code,
      "permission-denied",
    );
    const later = { ...bounded, now: () => new Date(now().getTime() + 61_000) };
    assert.equal(
      (await refusal(handleClaimThread(later, member("mallory"), { threadId: "t9" }))).code,
      "permission-denied",
    );
  });
});

describe("thread members", () => {
  const owned = (): ThreadView => ({ ownerUid: "alice", coWriterUids: ["bob"], accountId: "acc-1" });

  it("the owner hands the thread over and sets co-writers, all members of the account", async () => {
    const { deps, state } = storeWith(owned(), ["alice", "bob", "dan"]);
    const answer = await handleSetThreadMembers(deps, member("alice"), {
      threadId: "t1",
      ownerUid: "dan",
      coWriterUids: ["alice", "dan"],
    });
    assert.deepEqual(answer, { success: true, threadId: "t1", ownerUid: "dan", coWriterUids: ["alice"] });
    assert.equal(state.thread!.ownerUid, "dan");
  });

  it("an admin may change them; a co-writer may not", async () => {
    const admin = { uid: "root", admin: true };
    assert.equal(
      (
        await handleSetThreadMembers(storeWith(owned(), ["alice", "bob"]).deps, admin, {
          threadId: "t1",
          coWriterUids: [],
        })
      ).success,
      true,
    );
    const err = await refusal(
      handleSetThreadMembers(storeWith(owned(), ["alice", "bob"]).deps, member("bob"), {
        threadId: "t1",
        coWriterUids: [],
      }),
    );
    assert.equal(err.code, "permission-denied");
  });

  it("no existence oracle: a missing thread and another's thread get the same answer", async () => {
    const request = { threadId: "t1", coWriterUids: [] };
    const missing = await refusal(
      handleSetThreadMembers(storeWith(undefined, ["alice"]).deps, member("carol"), request),
    );
    const notYours = await refusal(
      handleSetThreadMembers(storeWith(owned(), ["alice"]).deps, member("carol"), request),
    );
    assert.equal(missing.code, "permission-denied");
    assert.deepEqual([notYours.code, notYours.message], [missing.code, missing.message]);
  });

  it("nobody outside the account can be made owner or co-writer, and nothing changes", async () => {
    const { deps, state } = storeWith(owned(), ["alice", "bob"]);
    const err = await refusal(
      handleSetThreadMembers(deps, member("alice"), { threadId: "t1", coWriterUids: ["mallory"] }),
    );
    assert.equal(err.code, "invalid-argument");
    assert.match(err.message, /^coWriterUids: not a member/);
    assert.equal(state.writes, 0);
    assert.equal(
      (await refusal(handleSetThreadMembers(deps, member("alice"), { threadId: "t1" }))).code,
      "invalid-argument",
    );
  });
});
