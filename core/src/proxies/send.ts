import { INBOUND_THREAD_PREFIX, PROBE_THREAD_PREFIX, requestIdFor, sha256Hex } from "../ids";
import { kindPreview, messagePreview, type ThreadDocument, type ThreadMessageDocument } from "../documents/thread";
import type { OutboxMediaDocument } from "../documents/media";
import { attachMedia, messageMediaOf, type MediaSendStore } from "./mediaSend";
import type { AccountStatus, AccountTransport } from "../documents/account";
import type { OutboxDocument } from "../documents/outbox";
import type { WrittenDocument } from "../documents/common";
import { mayUseAccount, type Caller } from "./caller";
import { GatewayError } from "./errors";
import { templateIdOf, type TemplateEntry } from "../cloudApi/templates";
import { templateRefusal, templateText } from "./templateSend";
import { parseRequest, sendRequest, sendTemplateRequest, type SendRequest, type SendTemplateRequest } from "./requests";

/** What a send asks for: a text (whatsappProxySend) or a Cloud API template (whatsappProxySendTemplate). */
export type OutgoingRequest = SendRequest | SendTemplateRequest;

/**
 * Per-user send limit: at most `maxSends` sends (accepted or refused) per user in each window of
 * `windowSec` seconds, windows aligned to the epoch. Each send takes one of the window's
 * `maxSends` numbered slots (a document created once), so it holds exactly under any concurrency
 * without a counter every send rewrites.
 */
export interface RateLimit {
  maxSends: number;
  windowSec: number;
}

/** The window `now` falls in: its number (part of the slot ids), its start, and when its slots may go. */
export function rateWindow(now: Date, limit: RateLimit): { index: number; start: Date; expireAt: Date } {
  const windowMs = limit.windowSec * 1000;
  const index = Math.floor(now.getTime() / windowMs);
  return { index, start: new Date(index * windowMs), expireAt: new Date((index + 2) * windowMs) };
}

/** A thread as the send decides on it. */
export interface SendThread {
  /** null: a thread a peer opened, not yet owned by anyone. */
  ownerUid: string | null;
  coWriterUids: string[];
  accountId: string;
  peerJid: string;
}

/**
 * What the send read: the outbox entry first (in the transaction); the rest only when it is new.
 * The account, and a thread that exists and has an owner, are read just before the transaction
 * (nothing in the transaction contends with lease renewals or the thread's summary); a thread
 * that is new or unowned is read in it, as the send may create or claim it.
 */
export type SendSnapshot =
  | { kind: "existing" }
  | {
      kind: "fresh";
      /** `transport` absent: a linked (Baileys) account, as on its document. */
      account: { status: AccountStatus; memberUids: string[]; transport?: AccountTransport } | undefined;
      thread: SendThread | undefined;
      /** When the thread is new: the account's existing thread with this peer, if any (`threadPeers`). */
      peerThreadId: string | null;
      /** The account's opt-out record for `toJid` (`optOuts`), if the contact opted out. */
      optOut: { keyword: string } | undefined;
      /**
       * A text to a Cloud API account: its customer-service window, when the contact last wrote in
       * the thread (null: never). Absent otherwise (a template, or an account with no window).
       */
      serviceWindow?: { customerWroteAtMs: number | null };
      /**
       * A template send to a Cloud API account: the template as the account's catalogue has it
       * (null: not there). Absent otherwise.
       */
      template?: TemplateEntry | null;
    };

/** The thread's last-message fields, moved forward after the commit (never back to an older message). */
export interface ThreadSummary {
  lastMessageAt: Date;
  lastMessagePreview: string;
}

export type SendDecision =
  | { kind: "duplicate" }
  /** Refused: nothing is written (the rate-limit slot was taken before). */
  | { kind: "refused"; error: GatewayError }
  | {
      kind: "accepted";
      outbox: WrittenDocument<OutboxDocument>;
      message: WrittenDocument<ThreadMessageDocument>;
      /**
       * `create`: a new thread (`indexPeer`: recorded as the account's one thread with this peer);
       * else `claimBy`: the caller takes an unowned thread (null: the thread is not written here).
       */
      thread:
        | { create: true; indexPeer: boolean; fields: WrittenDocument<ThreadDocument> }
        | { create: false; claimBy: string | null };
      summary: ThreadSummary;
    };

/** Where `advanceSummary` left the thread: moved to this message, already on a newer one, or not written (logged). */
export type SummaryResult = "advanced" | "newer" | "failed";

/** The send's reads and writes; firestoreSendStore (functions) is the real one. */
export interface SendStore {
  /** Whether the request exists already (a plain read: a repeat neither counts nor opens a transaction). */
  exists(requestId: string): Promise<boolean>;
  /** Takes one of the caller's `maxSends` slots of the window; false when all are taken. */
  takeSlot(uid: string, window: ReturnType<typeof rateWindow>, maxSends: number): Promise<boolean>;
  /** Runs `decide` in one bounded transaction and applies an `accepted` decision's writes. */
  transact(
    keys: {
      requestId: string;
      accountId: string;
      threadId: string;
      uid: string;
      toJid: string;
      /** A template send: the template's catalogue id, read for `SendSnapshot.template`. */
      templateId?: string;
    },
    decide: (snap: SendSnapshot) => SendDecision,
  ): Promise<SendDecision>;
  /** Moves the thread's summary to this message unless it shows a newer one; never throws. */
  advanceSummary(threadId: string, summary: ThreadSummary): Promise<SummaryResult>;
}

/**
 * WhatsApp message id chosen before the first attempt, derived from the requestId so every
 * retry (of the worker or of the whole call) sends under the same id. Shaped like the ids
 * WhatsApp Web clients use (`3EB0` + upper-case hex).
 */
export function providerMessageIdFor(requestId: string): string {
  return `3EB0${sha256Hex(`provider:${requestId}`).slice(0, 20).toUpperCase()}`;
}

export const UNSENDABLE: ReadonlySet<AccountStatus> = new Set(["removed", "logged_out"]);
/** The Cloud API's customer-service window: a customer's message opens it for 24 hours. */
export const SERVICE_WINDOW_MS = 24 * 3_600_000;

/** Pure decision for one send: every check, then the documents to write. */
export function decideSend(
  snap: SendSnapshot,
  req: OutgoingRequest,
  caller: Caller,
  requestId: string,
  now: Date,
  /** The send's file, checked and copied into place (attachMedia). */
  media?: OutboxMediaDocument,
): SendDecision {
  if (snap.kind === "existing") return { kind: "duplicate" };

  // The rate limit was counted before (handleSend), and a refused send counts like an accepted
  // one: nobody can probe which accounts, threads and peers exist faster than they may send.
  const { account, thread, peerThreadId, optOut } = snap;
  const refuse = (code: GatewayError["code"], message: string, refusal?: GatewayError["refusal"]): SendDecision => ({
    kind: "refused",
    error: new GatewayError(code, message, refusal),
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

  let text: string;
  if ("template" in req) {
    const refusal = templateRefusal(snap, req.template);
    if (refusal) return refuse(...refusal);
    text = templateText(snap.template!, req.template.parameters);
  } else {
    // Meta's rule for the Cloud API: free-form messages only within 24 h of the customer's last one.
    // Checked here so the app hears it at once; Meta's own clock still decides (131047 fails it).
    if (snap.serviceWindow && !probeThread) {
      const wrote = snap.serviceWindow.customerWroteAtMs;
      if (wrote === null || now.getTime() - wrote >= SERVICE_WINDOW_MS) {
        const since =
          wrote === null
            ? "the customer has not written"
            : `the customer last wrote at ${new Date(wrote).toISOString()}`;
        return refuse(
          "failed-precondition",
          `text: outside the 24-hour customer service window of this Cloud API account (${since}); only an approved template may be sent`,
        );
      }
    }
    // A file's caption is its text; a send without one has `text` (the request's schema says so).
    text = media ? (req.media?.caption ?? "") : req.text!;
  }

  const preview = media ? kindPreview(media.kind, text) : messagePreview(text);
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
      text,
      template: "template" in req ? req.template : null,
      media: media ?? null,
      // A new thread, and no thread of anyone's with this peer (else it is not new): nobody wrote yet.
      // The new-contact budget protects linked numbers from WhatsApp's locks; on the Cloud API
      // Meta's own messaging limits apply instead.
      firstContact: !thread && !probeThread && account.transport !== "cloud_api",
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
      text,
      status: "queued",
      requestId,
      providerMessageId,
      senderUid: caller.uid,
      kind: media?.kind ?? "text",
      reactions: {},
      editedAt: null,
      deleted: false,
      media: media ? messageMediaOf(media) : null,
      mediaStatus: media ? "stored" : null,
      createdAt: now,
      updatedAt: now,
    },
    thread: thread
      ? { create: false, claimBy: thread.ownerUid === null ? caller.uid : null }
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
    summary: { lastMessageAt: now, lastMessagePreview: preview },
  };
}

export interface SendResult {
  success: true;
  requestId: string;
  duplicate: boolean;
}

/**
 * whatsappProxySend: validate; a repeat answers at once; else take a rate-limit slot, then one
 * bounded transaction that creates the outbox entry (the idempotency point) and the thread
 * message (and a new thread, or the claim of an unowned one); the thread's summary moves forward
 * after the commit, and its failure does not fail the send.
 */
export function handleSend(deps: SendDeps, caller: Caller, data: unknown): Promise<SendResult> {
  return queueSend(deps, caller, parseRequest(sendRequest, data));
}

/** whatsappProxySendTemplate: as whatsappProxySend, for an approved template of a Cloud API account. */
export function handleSendTemplate(deps: SendDeps, caller: Caller, data: unknown): Promise<SendResult> {
  return queueSend(deps, caller, parseRequest(sendTemplateRequest, data));
}

export interface SendDeps {
  store: SendStore;
  /** Sends with `media` (absent: such a send is refused). */
  media?: MediaSendStore;
  now: () => Date;
  rateLimit: RateLimit;
}

async function queueSend(deps: SendDeps, caller: Caller, req: OutgoingRequest): Promise<SendResult> {
  const requestId = requestIdFor(caller.uid, req.clientMessageId);
  const duplicate: SendResult = { success: true, requestId, duplicate: true };
  if (await deps.store.exists(requestId)) return duplicate;
  const { maxSends, windowSec } = deps.rateLimit;
  if (!(await deps.store.takeSlot(caller.uid, rateWindow(deps.now(), deps.rateLimit), maxSends))) {
    throw new GatewayError("resource-exhausted", `Too many messages: at most ${maxSends} per ${windowSec} s`);
  }
  const templateId = "template" in req ? templateIdOf(req.template.name, req.template.language) : undefined;
  let media: OutboxMediaDocument | undefined;
  if ("media" in req && req.media) {
    if (!deps.media) throw new GatewayError("failed-precondition", "media: this gateway sends no media");
    media = await attachMedia(deps.media, caller, { ...req, media: req.media }, requestId, deps.now());
  }
  const decision = await deps.store.transact(
    { requestId, accountId: req.accountId, threadId: req.threadId, uid: caller.uid, toJid: req.toJid, templateId },
    (snap) => decideSend(snap, req, caller, requestId, deps.now(), media),
  );
  if (decision.kind === "refused") throw decision.error;
  if (decision.kind === "duplicate") return duplicate;
  if (!decision.thread.create) await deps.store.advanceSummary(req.threadId, decision.summary);
  return { success: true, requestId, duplicate: false };
}
