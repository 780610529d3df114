import type { ThreadDocument } from "../documents/thread";
import type { WrittenDocument } from "../documents/common";
import { mayUseAccount, type Caller } from "./caller";
import { GatewayError } from "./errors";
import { claimThreadRequest, parseRequest, setThreadMembersRequest } from "./requests";

/** What the thread callables read: the thread, and the members of its account. */
export interface ThreadView {
  ownerUid: string | null;
  coWriterUids: string[];
  accountId: string;
}

/** Reads the thread and its account, applies `decide`'s fields to the thread, in one transaction. */
export interface ThreadStore {
  update<R>(
    threadId: string,
    decide: (
      thread: ThreadView | undefined,
      account: { memberUids: string[] } | undefined,
    ) => { fields?: Partial<WrittenDocument<ThreadDocument>>; result: R },
  ): Promise<R>;
}

/** Every claim call is recorded (`claimAttempts`); the caller's recent ones are counted. */
export interface ClaimAttempts {
  /** Records this attempt at `now`, then answers how many `uid` made after `since`, this one included. */
  record(uid: string, now: Date, since: Date): Promise<number>;
}

/** Claims one user may attempt per window, across all instances (refused ones count too). */
export interface ClaimLimit {
  maxClaims: number;
  windowSec: number;
}

export interface ThreadMembers {
  success: true;
  threadId: string;
  ownerUid: string | null;
  coWriterUids: string[];
}

function existing(thread: ThreadView | undefined, threadId: string): ThreadView {
  if (!thread) throw new GatewayError("not-found", `threadId: no thread ${threadId}`);
  return thread;
}

/** One answer for "no such thread" and "not your account's": a claim reveals nothing to an outsider. */
const NOT_CLAIMABLE = "threadId: no thread you may claim";

/**
 * whatsappProxyClaimThread: a member of the thread's account takes a thread nobody owns (one a
 * contact opened). Atomic: of two claimers one wins; the other is told who owns it.
 */
export async function handleClaimThread(
  deps: { store: ThreadStore; attempts: ClaimAttempts; limit: ClaimLimit; now: () => Date },
  caller: Caller,
  data: unknown,
): Promise<ThreadMembers> {
  const { threadId } = parseRequest(claimThreadRequest, data);
  const now = deps.now();
  // Counted before anything is read, refused or not: nobody probes faster than the bound.
  const made = await deps.attempts.record(caller.uid, now, new Date(now.getTime() - deps.limit.windowSec * 1000));
  if (made > deps.limit.maxClaims) {
    throw new GatewayError(
      "resource-exhausted",
      `Too many claims: at most ${deps.limit.maxClaims} per ${deps.limit.windowSec} s`,
    );
  }
  return deps.store.update(threadId, (thread, account) => {
    // Permission first, and the same answer whether the thread is missing or not the caller's.
    if (!thread || !account || !mayUseAccount(caller, account))
      throw new GatewayError("permission-denied", NOT_CLAIMABLE, thread && account ? "cross_tenant" : "ordinary");
    const result = (ownerUid: string, coWriterUids: string[]): ThreadMembers => ({
      success: true,
      threadId,
      ownerUid,
      coWriterUids,
    });
    if (thread.ownerUid === caller.uid) return { result: result(caller.uid, thread.coWriterUids) };
    if (thread.ownerUid !== null) {
      throw new GatewayError("failed-precondition", `threadId: the thread is already owned by ${thread.ownerUid}`);
    }
    const coWriterUids = thread.coWriterUids.filter((u) => u !== caller.uid);
    return {
      fields: { ownerUid: caller.uid, coWriterUids, updatedAt: now },
      result: result(caller.uid, coWriterUids),
    };
  });
}

/**
 * whatsappProxySetThreadMembers: the owner (or an admin) hands the thread over and/or sets who
 * may write in it with them. Everyone named must be a member of the thread's account.
 */
export async function handleSetThreadMembers(
  deps: { store: ThreadStore; now: () => Date },
  caller: Caller,
  data: unknown,
): Promise<ThreadMembers> {
  const req = parseRequest(setThreadMembersRequest, data);
  return deps.store.update(req.threadId, (current, account) => {
    // Permission first, and one answer whether the thread is missing or not the caller's (no
    // oracle of who wrote to an account). An owner who left the account's members lost the thread
    // with them (accountMembers.ts).
    if (!caller.admin && (current?.ownerUid !== caller.uid || !account || !mayUseAccount(caller, account))) {
      const outsider = current && account && !mayUseAccount(caller, account);
      throw new GatewayError(
        "permission-denied",
        "Only the thread's owner or an admin may change its members",
        outsider ? "cross_tenant" : "ordinary",
      );
    }
    const thread = existing(current, req.threadId);
    if (!account) throw new GatewayError("failed-precondition", "threadId: the thread's account no longer exists");
    const ownerUid = req.ownerUid ?? thread.ownerUid;
    const named = [...(req.ownerUid ? [req.ownerUid] : []), ...(req.coWriterUids ?? [])];
    const outsider = named.find((u) => !account.memberUids.includes(u));
    if (outsider !== undefined) {
      throw new GatewayError(
        "invalid-argument",
        `${outsider === req.ownerUid ? "ownerUid" : "coWriterUids"}: not a member of the account`,
      );
    }
    const coWriterUids = [...new Set(req.coWriterUids ?? thread.coWriterUids)].filter((u) => u !== ownerUid);
    return {
      fields: { ownerUid, coWriterUids, updatedAt: deps.now() },
      result: { success: true, threadId: req.threadId, ownerUid, coWriterUids },
    };
  });
}
