import {
  collection,
  doc,
  type CollectionReference,
  type DocumentReference,
  type Firestore,
  type FirestoreDataConverter,
  type QueryDocumentSnapshot,
  type SnapshotOptions,
} from "firebase/firestore";
import type { z } from "zod";
import { accountDocument, type AccountDocument } from "../../core/src/documents/account.js";
import { messageTemplateDocument, type MessageTemplateDocument } from "../../core/src/documents/cloudApi.js";
import { outboxDocument, type OutboxDocument } from "../../core/src/documents/outbox.js";
import {
  threadDocument,
  threadMessageDocument,
  type ThreadDocument,
  type ThreadMessageDocument,
} from "../../core/src/documents/thread.js";

/**
 * The documents an app reads, typed and checked by the very zod schemas the server writes them
 * with (core/src/documents/): a field renamed on one side fails to compile or to parse on the
 * other, instead of reading `undefined`. Clients never write (firestore.rules), so `toFirestore`
 * refuses.
 */
export class DocumentShapeError extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`${path} does not match its schema: ${detail}`);
    this.name = "DocumentShapeError";
  }
}

export function converterFor<S extends z.ZodType>(schema: S): FirestoreDataConverter<z.output<S>> {
  return {
    toFirestore(): never {
      throw new Error("clients never write Firestore directly: call the gateway's callables");
    },
    fromFirestore(snapshot: QueryDocumentSnapshot, options?: SnapshotOptions): z.output<S> {
      const parsed = schema.safeParse(snapshot.data(options));
      if (parsed.success) return parsed.data;
      const detail = parsed.error.issues.map((i) => `${i.path.join(".") || "(document)"}: ${i.message}`).join("; ");
      throw new DocumentShapeError(snapshot.ref.path, detail);
    },
  };
}

export const accountConverter = converterFor(accountDocument);
export const threadConverter = converterFor(threadDocument);
export const threadMessageConverter = converterFor(threadMessageDocument);
export const outboxConverter = converterFor(outboxDocument);
export const messageTemplateConverter = converterFor(messageTemplateDocument);
export type { AccountDocument, MessageTemplateDocument, OutboxDocument, ThreadDocument, ThreadMessageDocument };

/** The gateway's documents an app may read (the collection names of core/src/paths.ts), typed. */
export const documentRefs = {
  account: (db: Firestore, accountId: string): DocumentReference<AccountDocument> =>
    doc(db, "accounts", accountId).withConverter(accountConverter),
  /** A Cloud API account's templates as Meta last listed them (`status` APPROVED and `sendable`: whatsappProxySendTemplate takes it). */
  messageTemplates: (db: Firestore, accountId: string): CollectionReference<MessageTemplateDocument> =>
    collection(db, "accounts", accountId, "templates").withConverter(messageTemplateConverter),
  threads: (db: Firestore): CollectionReference<ThreadDocument> =>
    collection(db, "threads").withConverter(threadConverter),
  threadMessages: (db: Firestore, threadId: string): CollectionReference<ThreadMessageDocument> =>
    collection(db, "threads", threadId, "messages").withConverter(threadMessageConverter),
  threadMessage: (db: Firestore, threadId: string, messageId: string): DocumentReference<ThreadMessageDocument> =>
    doc(db, "threads", threadId, "messages", messageId).withConverter(threadMessageConverter),
  /** The caller's own sends (admins: every send). */
  outbox: (db: Firestore): CollectionReference<OutboxDocument> =>
    collection(db, "outbox").withConverter(outboxConverter),
};
