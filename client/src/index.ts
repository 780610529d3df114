import type { FirebaseApp } from "firebase/app";
import {
  onSnapshot,
  orderBy,
  query,
  where,
  type Firestore,
  type QueryDocumentSnapshot,
  type Unsubscribe,
} from "firebase/firestore";
import { getFunctions, httpsCallable, type Functions } from "firebase/functions";
import { z } from "zod";
import { callables, type AnswerOf, type CallableName, type RequestOf } from "../../core/src/proxies/contract.js";

import { documentRefs, type ThreadDocument } from "./documents.js";
import { withRetries, type RetryOptions } from "./retry.js";

export { callables, type AnswerOf, type CallableName, type RequestOf };
export * from "./documents.js";
export * from "./accounts.js";
export * from "./admin.js";
export * from "./media.js";
export { retryableCallError, withRetries, type RetryOptions } from "./retry.js";

/** Where the functions run unless the deployment chose another region (the functions' REGION param). */
export const DEFAULT_REGION = "us-central1";

export type GatewayCallables = { [N in CallableName]: (request: RequestOf<N>) => Promise<AnswerOf<N>> };

/**
 * The gateway's callables, typed, for one Firebase app: `gateway.whatsappProxySend({...})`.
 * The region is given here once (the deployment's REGION param); `functions` lets an app pass
 * its own instance instead (e.g. one connected to the emulator). The two sends retry
 * `unavailable` and timeouts under the same request (`sendRetries`; `{ attempts: 1 }`: none):
 * its `clientMessageId` makes a repeat harmless.
 */
export function connectGateway(
  app: FirebaseApp,
  options: { region?: string; functions?: Functions; sendRetries?: RetryOptions } = {},
): GatewayCallables & { functions: Functions } {
  const functions = options.functions ?? getFunctions(app, options.region ?? DEFAULT_REGION);
  const typed = {} as GatewayCallables;
  for (const name of Object.keys(callables) as CallableName[]) {
    const call = httpsCallable(functions, name);
    (typed as Record<string, (request: unknown) => Promise<unknown>>)[name] =
      name === "whatsappProxySend" || name === "whatsappProxySendTemplate"
        ? async (request) => withRetries(async () => (await call(request)).data, options.sendRetries)
        : async (request) => (await call(request)).data;
  }
  return Object.assign(typed, { functions });
}

export type MessageStatus = "queued" | "sent" | "delivered" | "read" | "failed";

export type MessageKind =
  "text" | "image" | "video" | "audio" | "voice" | "document" | "sticker" | "location" | "contact" | "poll" | "unknown";

export interface ThreadMessage {
  id: string;
  direction: "in" | "out";
  /** The text, or a media message's caption (or a name: document, location, contact, poll). */
  text: string;
  kind: MessageKind;
  status: MessageStatus;
  /** Outbound: the request it was sent with. */
  requestId: string | null;
  /** Outbound through the gateway: who sent it; inbound, or typed on the account's phone: null. */
  senderUid: string | null;
  /** Reacting party (the contact's JID, or "me") to emoji. */
  reactions: Record<string, string>;
  editedAt: Date | null;
  /** Deleted for everyone by its sender: `text` is "". */
  deleted: boolean;
  /** A photo's, voice note's, document's, ... file (its bytes: `mediaUrl`); null for other kinds. */
  media: {
    mimetype: string;
    size: number;
    fileName?: string;
    seconds?: number;
    width?: number;
    height?: number;
  } | null;
  /** `pending` (being fetched), `stored` (mediaUrl serves it), `failed`, `too_large`; null: no file. */
  mediaStatus: "pending" | "stored" | "failed" | "too_large" | null;
  createdAt: Date | null;
}

export interface ThreadSummary {
  id: string;
  accountId: string;
  peerJid: string;
  ownerUid: string | null;
  coWriterUids: string[];
  lastMessageAt: Date | null;
  lastMessagePreview: string;
}

/** Runs `read` (which parses a snapshot), handing a document that fails its schema to onError. */
function parsed<T>(read: () => T, onError?: (err: Error) => void): T | undefined {
  try {
    return read();
  } catch (err) {
    onError?.(err as Error);
    return undefined;
  }
}

/** Follows one sent message's status (`queued` → `sent` → `delivered` → `read`, or `failed`). */
export function watchMessageStatus(
  db: Firestore,
  ids: { threadId: string; requestId: string },
  onStatus: (status: MessageStatus) => void,
  onError?: (err: Error) => void,
): Unsubscribe {
  return onSnapshot(
    documentRefs.threadMessage(db, ids.threadId, ids.requestId),
    (snap) => {
      const status = parsed(() => snap.data()?.status, onError);
      if (status) onStatus(status);
    },
    onError,
  );
}

/** A thread's messages in order, inbound and outbound, live. */
export function watchThreadMessages(
  db: Firestore,
  threadId: string,
  onMessages: (messages: ThreadMessage[]) => void,
  onError?: (err: Error) => void,
): Unsubscribe {
  return onSnapshot(
    query(documentRefs.threadMessages(db, threadId), orderBy("createdAt")),
    (snap) => {
      const messages = parsed(
        () =>
          snap.docs.map((d): ThreadMessage => {
            const m = d.data();
            return {
              id: d.id,
              direction: m.direction,
              text: m.text,
              kind: m.kind,
              status: m.status,
              requestId: m.requestId,
              senderUid: m.senderUid,
              reactions: m.reactions,
              editedAt: m.editedAt?.toDate() ?? null,
              deleted: m.deleted,
              media: m.media && {
                mimetype: m.media.mimetype,
                size: m.media.size,
                ...(m.media.fileName ? { fileName: m.media.fileName } : {}),
                ...(m.media.seconds ? { seconds: m.media.seconds } : {}),
                ...(m.media.width ? { width: m.media.width, height: m.media.height } : {}),
              },
              mediaStatus: m.mediaStatus,
              createdAt: m.createdAt.toDate(),
            };
          }),
        onError,
      );
      if (messages) onMessages(messages);
    },
    onError,
  );
}

const threadSummary = (d: QueryDocumentSnapshot<ThreadDocument>): ThreadSummary => {
  const t = d.data();
  return {
    id: d.id,
    accountId: t.accountId,
    peerJid: t.peerJid,
    ownerUid: t.ownerUid,
    coWriterUids: t.coWriterUids,
    lastMessageAt: t.lastMessageAt.toDate(),
    lastMessagePreview: t.lastMessagePreview,
  };
};

/** The inbox queries the security rules allow (README: Building an inbox), each indexed. */
export const inboxQueries = {
  ownedBy: (db: Firestore, uid: string) =>
    query(documentRefs.threads(db), where("ownerUid", "==", uid), orderBy("lastMessageAt", "desc")),
  coWrittenBy: (db: Firestore, uid: string) =>
    query(documentRefs.threads(db), where("coWriterUids", "array-contains", uid), orderBy("lastMessageAt", "desc")),
  unassigned: (db: Firestore, accountId: string) =>
    query(
      documentRefs.threads(db),
      where("accountId", "==", accountId),
      where("ownerUid", "==", null),
      orderBy("lastMessageAt", "desc"),
    ),
  sentBy: (db: Firestore, uid: string) =>
    query(documentRefs.outbox(db), where("uid", "==", uid), orderBy("createdAt", "desc")),
};

/** An account's threads nobody owns yet, newest first, live: what a team's inbox shows. */
export function watchUnassignedThreads(
  db: Firestore,
  accountId: string,
  onThreads: (threads: ThreadSummary[]) => void,
  onError?: (err: Error) => void,
): Unsubscribe {
  return onSnapshot(
    inboxQueries.unassigned(db, accountId),
    (snap) => {
      const threads = parsed(() => snap.docs.map(threadSummary), onError);
      if (threads) onThreads(threads);
    },
    onError,
  );
}

/** JSON Schema (draft 2020-12) of every callable's request and answer, for clients in other languages. */
export function jsonSchemas(): Record<CallableName, { request: unknown; answer: unknown }> {
  const out = {} as Record<CallableName, { request: unknown; answer: unknown }>;
  for (const [name, { request, answer }] of Object.entries(callables) as [
    CallableName,
    (typeof callables)[CallableName],
  ][]) {
    out[name] = {
      request: z.toJSONSchema(request, { io: "input", unrepresentable: "any" }),
      answer: z.toJSONSchema(answer, { io: "output", unrepresentable: "any" }),
    };
  }
  return out;
}
