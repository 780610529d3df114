import { INBOUND_THREAD_PREFIX, PROBE_THREAD_PREFIX, requestIdFor, sha256Hex } from "../ids";
import { messagePreview, type ThreadDocument, type ThreadMessageDocument } from "../documents/thread";
import type { AccountStatus } from "../documents/account";
import type { OutboxDocument } from "../documents/outbox";
import type { RateLimitDocument } from "../documents/inbound";
import type { WrittenDocument } from "../documents/common";
import { mayUseAccount, type Caller } from "./caller";
import { GatewayError } from "./errors";
import { parseRequest, sendRequest, type SendRequest } from "./requests";

/** Per-user send limit, a fixed window kept in Firestore so it holds across instances. */
export interface RateLimit {
  maxSends: number;
  windowSec: number;
}

/** What the send transaction read: the outbox entry first; the rest only when it is new. */
export type SendSnapshot =
  | { kind: "existing" }
  | {
      kind: "fresh";
      account: { status: AccountStatus; memberUids: string[] } | undefined;
      /** `ownerUid` null: a thread a peer opened, not yet owned by anyone. */
      thread: { ownerUid: string | null; coWriterUids: string[]; accountId: string; peerJid: string } | undefined;
      /** When the thread is new: the account's existing thread with this peer, if any (`threadPeers`). */
      peerThreadId: string | null;
      rateLimit: { windowStartMs: number; count: number } | undefined;
      /** The account's opt-out record for `toJid` (`optOuts`), if the contact opted out. */
      optOut: { keyword: string } | undefined;
    };

export type SendDecision =
  | { kind: "duplicate" }
  /** Refused after the rate limit was counted: only the caller's counter is written. */
  | { kind: "refused"; error: GatewayError; rateLimit: WrittenDocument<RateLimitDocument> }
  | {
      kind: "accepted";
      outbox: WrittenDocument<OutboxDocument>;
      message: WrittenDocument<ThreadMessageDocument>;
      /** `indexPeer`: a new user thread, recorded as the account's one thread with this peer. */
      thread:
        | { create: true; indexPeer: boolean; fields: WrittenDocument<ThreadDocument> }
        | { create: false; indexPeer: false; fields: Partial<WrittenDocument<ThreadDocument>> };
      rateLimit: WrittenDocument<RateLimitDocument>;
    };

/** The store runs `decide` inside one transaction and applies an `accepted` decision's writes. */
export interface SendStore {
  transact(
    keys: { requestId: string; accountId: string; threadId: string; uid: string; toJid: string },
    decide: (snap: SendSnapshot) => SendDecision,
  ): Promise<SendDecision>;
}

/**
 * WhatsApp message id chosen before the first attempt, derived from the requestId so every
 * retry (of the worker or of the whole call) sends under the same id. Shaped like the ids
 * WhatsApp Web clients use (`3EB0` + upper-case hex).
 */
export function providerMessageIdFor(requestId: string): string {
  return `3EB0${sha256Hex(`provider:${requestId}`).slice(0, 20).toUpperCase()}`;
}

const UNSENDABLE: ReadonlySet<AccountStatus> = new Set(["removed", "logged_out"]);

/** Pure decision for one send: every check, then the documents to write. */
export function decideSend(
  snap: SendSnapshot,
  req: SendRequest,
  caller: Caller,
  requestId: string,
  now: Date,
  limit: RateLimit,
): SendDecision {
  if (snap.kind === "existing") return { kind: "duplicate" };

  // The limit is counted before any other check, and a refused send counts like an accepted
  // one: nobody can probe which accounts, threads and peers exist faster than they may send.
  const { account, thread, rateLimit, peerThreadId, optOut } = snap;
  const nowMs = now.getTime();
  const windowMs = limit.windowSec * 1000;
  const inWindow = rateLimit && nowMs - rateLimit.windowStartMs < windowMs && nowMs >= rateLimit.windowStartMs;
  if (inWindow && rateLimit.count >= limit.maxSends) {
    throw new GatewayError(
      "resource-exhausted",
      `Too many messages: at most ${limit.maxSends} per ${limit.windowSec} s`,
    );
  }
  const windowStart = inWindow ? new Date(rateLimit.windowStartMs) : now;
  const counted = {
    windowStart,
    count: inWindow ? rateLimit.count + 1 : 1,
    expireAt: new Date(windowStart.getTime() + 2 * windowMs),
  };
  const refuse = (code: GatewayError["code"], message: string, refusal?: GatewayError["refusal"]): SendDecision => ({
    kind: "refused",
    error: new GatewayError(code, message, refusal),
    rateLimit: counted,
  });

  if (!account) return refuse("not-found", `accountId: no account ${req.accountId}`);
  if (!mayUseAccount(caller, account))
    return refuse("permission-denied", "You may not use this account", "cross_tenant");
  if (UNSENDABLE.has(account.status)) {
    return refuse("failed-precondition", `accountId: the account is ${account.status.replace("_", " ")}`);
  }
  const probeThread = req.threadId.startsWith(PROBE_THREAD_PREFIX);
  if (probeThread && !caller.system) return refuse("invalid-argument", "threadId: reserved for the gateway's probes");
  // Said alike whether or not a contact opened that thread: else another tenant could learn,
  // by trying ids, which numbers wrote to an account.
  const gatewayIds = `threadId: ids starting ${INBOUND_THREAD_PREFIX} are chosen by the gateway`;
  if (thread) {
    if (thread.accountId !== req.accountId) {
      if (req.threadId.startsWith(INBOUND_THREAD_PREFIX)) return refuse("invalid-argument", gatewayIds);
      return refuse("invalid-argument", "threadId: the thread belongs to another account");
    }
    if (thread.peerJid !== req.toJid) return refuse("invalid-argument", "toJid: the thread is with another peer");
    const unowned = thread.ownerUid === null;
    if (!unowned && thread.ownerUid !== caller.uid && !thread.coWriterUids.includes(caller.uid)) {
      return refuse("permission-denied", "Only thread owner or co-writers can send messages");
    }
  } else if (req.threadId.startsWith(INBOUND_THREAD_PREFIX)) {
    // The gateway's namespace: a thread a contact opens gets this id, and nobody may take it first.
    return refuse("invalid-argument", gatewayIds);
  } else if (req.toJid.endsWith("@lid")) {
    // A LID is known only from a contact's own message: it is answered in the thread that opened.
    return refuse("invalid-argument", "toJid: a @lid contact can only be answered in the thread their message opened");
  } else if (!probeThread && peerThreadId !== null && peerThreadId !== req.threadId) {
    // One thread per account and peer: a second one would split the conversation and its replies.
    return refuse("failed-precondition", `toJid: the account already has a thread with this peer: ${peerThreadId}`);
  }
  // Last, so only someone who may send in this thread learns that the contact opted out. The
  // gateway's probes are refused too: nobody who wrote STOP is messaged, whoever sends.
  if (optOut) {
    return refuse(
      "failed-precondition",
      `toJid: this contact opted out of messages from this account (they wrote ${optOut.keyword}); ` +
        `they can write START, or an admin can clear it with npm run opt-out -- clear ${req.accountId} ${req.toJid}`,
    );
  }

  const preview = messagePreview(req.text);
  const providerMessageId = providerMessageIdFor(requestId);
  return {
    kind: "accepted",
    outbox: {
      status: "queued",
      uid: caller.uid,
      clientMessageId: req.clientMessageId,
      threadId: req.threadId,
      accountId: req.accountId,
      toJid: req.toJid,
      text: req.text,
      // A new thread, and no thread of anyone's with this peer (else it is not new): nobody wrote yet.
      firstContact: !thread && !probeThread,
      heldReason: null,
      providerMessageId,
      claimedBy: null,
      leaseUntil: null,
      leaseEpoch: 0,
      attempts: 0,
      nextAttemptAt: now,
      lastError: null,
      createdAt: now,
      updatedAt: now,
      sentAt: null,
      // TTL starts once the entry is final (the worker sets it): a queued message is never expired away.
      expireAt: null,
    },
    message: {
      direction: "out",
      text: req.text,
      status: "queued",
      requestId,
      providerMessageId,
      senderUid: caller.uid,
      kind: "text",
      reactions: {},
      editedAt: null,
      deleted: false,
      createdAt: now,
      updatedAt: now,
    },
    thread: thread
      ? {
          create: false,
          indexPeer: false,
          fields: {
            lastMessageAt: now,
            lastMessagePreview: preview,
            updatedAt: now,
            ...(thread.ownerUid === null ? { ownerUid: caller.uid } : {}),
          },
        }
      : {
          create: true,
          indexPeer: !probeThread,
          fields: {
            ownerUid: caller.uid,
            coWriterUids: [],
            accountId: req.accountId,
            peerJid: req.toJid,
            lastMessageAt: now,
            lastMessagePreview: preview,
            createdAt: now,
            updatedAt: now,
          },
        },
    rateLimit: counted,
  };
}

export interface SendResult {
  success: true;
  requestId: string;
  duplicate: boolean;
}

/** whatsappProxySend: validate, then one transaction that either finds the request or writes it. */
export async function handleSend(
  deps: { store: SendStore; now: () => Date; rateLimit: RateLimit },
  caller: Caller,
  data: unknown,
): Promise<SendResult> {
  const req = parseRequest(sendRequest, data);
  const requestId = requestIdFor(caller.uid, req.clientMessageId);
  const decision = await deps.store.transact(
    { requestId, accountId: req.accountId, threadId: req.threadId, uid: caller.uid, toJid: req.toJid },
    (snap) => decideSend(snap, req, caller, requestId, deps.now(), deps.rateLimit),
  );
  if (decision.kind === "refused") throw decision.error;
  return { success: true, requestId, duplicate: decision.kind === "duplicate" };
}
