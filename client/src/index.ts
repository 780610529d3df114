import type { FirebaseApp } from "firebase/app";
import {
  collection,
  doc,
  onSnapshot,
  orderBy,
  query,
  where,
  type Firestore,
  type Unsubscribe,
} from "firebase/firestore";
import { getFunctions, httpsCallable, type Functions } from "firebase/functions";
import { z } from "zod";
import { callables, type AnswerOf, type CallableName, type RequestOf } from "../../core/src/proxies/contract.js";

export { callables, type AnswerOf, type CallableName, type RequestOf };

/** Where the functions run unless the deployment chose another region (the functions' REGION param). */
export const DEFAULT_REGION = "us-central1";

export type GatewayCallables = { [N in CallableName]: (request: RequestOf<N>) => Promise<AnswerOf<N>> };

/**
 * The gateway's callables, typed, for one Firebase app: `gateway.whatsappProxySend({...})`.
 * The region is given here once (the deployment's REGION param); `functions` lets an app pass
 * its own instance instead (e.g. one connected to the emulator).
 */
export function connectGateway(
  app: FirebaseApp,
  options: { region?: string; functions?: Functions } = {},
): GatewayCallables & { functions: Functions } {
  const functions = options.functions ?? getFunctions(app, options.region ?? DEFAULT_REGION);
  const typed = {} as GatewayCallables;
  for (const name of Object.keys(callables) as CallableName[]) {
    const call = httpsCallable(functions, name);
    (typed as Record<string, (request: unknown) => Promise<unknown>>)[name] = async (request) =>
      (await call(request)).data;
  }
  return Object.assign(typed, { functions });
}

export type MessageStatus = "queued" | "sent" | "delivered" | "read" | "failed";

export interface ThreadMessage {
  id: string;
  direction: "in" | "out";
  text: string;
  status: MessageStatus;
  /** Outbound: the request it was sent with. */
  requestId: string | null;
  senderUid: string | null;
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

const date = (value: unknown): Date | null =>
  value && typeof (value as { toDate?: unknown }).toDate === "function" ? (value as { toDate(): Date }).toDate() : null;

/** Follows one sent message's status (`queued` → `sent` → `delivered` → `read`, or `failed`). */
export function watchMessageStatus(
  db: Firestore,
  ids: { threadId: string; requestId: string },
  onStatus: (status: MessageStatus) => void,
  onError?: (err: Error) => void,
): Unsubscribe {
  return onSnapshot(
    doc(db, "threads", ids.threadId, "messages", ids.requestId),
    (snap) => {
      const status = snap.get("status") as MessageStatus | undefined;
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
    query(collection(db, "threads", threadId, "messages"), orderBy("createdAt")),
    (snap) =>
      onMessages(
        snap.docs.map((d) => ({
          id: d.id,
          direction: d.get("direction"),
          text: d.get("text"),
          status: d.get("status"),
          requestId: d.get("requestId") ?? null,
          senderUid: d.get("senderUid") ?? null,
          createdAt: date(d.get("createdAt")),
        })),
      ),
    onError,
  );
}

const threadSummary = (d: { id: string; get(field: string): unknown }): ThreadSummary => ({
  id: d.id,
  accountId: d.get("accountId") as string,
  peerJid: d.get("peerJid") as string,
  ownerUid: (d.get("ownerUid") as string | null) ?? null,
  coWriterUids: (d.get("coWriterUids") as string[] | undefined) ?? [],
  lastMessageAt: date(d.get("lastMessageAt")),
  lastMessagePreview: (d.get("lastMessagePreview") as string | undefined) ?? "",
});

/** The inbox queries the security rules allow (README: Building an inbox), each indexed. */
export const inboxQueries = {
  ownedBy: (db: Firestore, uid: string) =>
    query(collection(db, "threads"), where("ownerUid", "==", uid), orderBy("lastMessageAt", "desc")),
  coWrittenBy: (db: Firestore, uid: string) =>
    query(collection(db, "threads"), where("coWriterUids", "array-contains", uid), orderBy("lastMessageAt", "desc")),
  unassigned: (db: Firestore, accountId: string) =>
    query(
      collection(db, "threads"),
      where("accountId", "==", accountId),
      where("ownerUid", "==", null),
      orderBy("lastMessageAt", "desc"),
    ),
  sentBy: (db: Firestore, uid: string) =>
    query(collection(db, "outbox"), where("uid", "==", uid), orderBy("createdAt", "desc")),
};

/** An account's threads nobody owns yet, newest first, live: what a team's inbox shows. */
export function watchUnassignedThreads(
  db: Firestore,
  accountId: string,
  onThreads: (threads: ThreadSummary[]) => void,
  onError?: (err: Error) => void,
): Unsubscribe {
  return onSnapshot(inboxQueries.unassigned(db, accountId), (snap) => onThreads(snap.docs.map(threadSummary)), onError);
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
