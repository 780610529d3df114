import { requestIdFor, sha256Hex } from "../ids";
import type { AccountStatus } from "../documents/account";
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
      rateLimit: { windowStartMs: number; count: number } | undefined;
    };

const PREVIEW_CHARS = 120;
const OUTBOX_RETENTION_DAYS = 30;

export type SendDecision =
  | { kind: "duplicate" }
  | {
      kind: "accepted";
      outbox: Record<string, unknown>;
      message: Record<string, unknown>;
      thread: { create: boolean; fields: Record<string, unknown> };
      rateLimit: Record<string, unknown>;
    };

/** The store runs `decide` inside one transaction and applies an `accepted` decision's writes. */
export interface SendStore {
  transact(
    keys: { requestId: string; accountId: string; threadId: string; uid: string },
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

  const { account, thread, rateLimit } = snap;
  if (!account) throw new GatewayError("not-found", `accountId: no account ${req.accountId}`);
  if (!mayUseAccount(caller, account)) throw new GatewayError("permission-denied", "You may not use this account");
  if (UNSENDABLE.has(account.status)) {
    throw new GatewayError("failed-precondition", `accountId: the account is ${account.status.replace("_", " ")}`);
  }
  if (thread) {
    if (thread.accountId !== req.accountId) {
      throw new GatewayError("invalid-argument", "threadId: the thread belongs to another account");
    }
    if (thread.peerJid !== req.toJid)
      throw new GatewayError("invalid-argument", "toJid: the thread is with another peer");
    const unowned = thread.ownerUid === null;
    if (!unowned && thread.ownerUid !== caller.uid && !thread.coWriterUids.includes(caller.uid)) {
      throw new GatewayError("permission-denied", "Only thread owner or co-writers can send messages");
    }
  }

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

  const preview = [...req.text].slice(0, PREVIEW_CHARS).join("");
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
      expireAt: new Date(nowMs + OUTBOX_RETENTION_DAYS * 86_400_000),
    },
    message: {
      direction: "out",
      text: req.text,
      status: "queued",
      requestId,
      providerMessageId,
      senderUid: caller.uid,
      createdAt: now,
      updatedAt: now,
    },
    thread: {
      create: !thread,
      fields: thread
        ? {
            lastMessageAt: now,
            lastMessagePreview: preview,
            updatedAt: now,
            ...(thread.ownerUid === null ? { ownerUid: caller.uid } : {}),
          }
        : {
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
    rateLimit: {
      windowStart,
      count: inWindow ? rateLimit.count + 1 : 1,
      expireAt: new Date(windowStart.getTime() + 2 * windowMs),
    },
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
    { requestId, accountId: req.accountId, threadId: req.threadId, uid: caller.uid },
    (snap) => decideSend(snap, req, caller, requestId, deps.now(), deps.rateLimit),
  );
  return { success: true, requestId, duplicate: decision.kind === "duplicate" };
}
