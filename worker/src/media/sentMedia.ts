import type { Firestore } from "firebase-admin/firestore";
import { sentMedia } from "@wa-gateway/data";

/** Sent files' whole messages, kept as long as a contact's phone may ask for one again. */
export interface SentMediaStore {
  remember(accountId: string, providerMessageId: string, message: string): Promise<void>;
  read(accountId: string, providerMessageId: string): Promise<string | undefined>;
}

export function firestoreSentMedia(db: Firestore, keepMs: number): SentMediaStore {
  return {
    async remember(accountId, providerMessageId, message) {
      const now = new Date();
      // Written whole: a retry that sent the file again (a new media key) replaces the last one.
      await sentMedia
        .write(db, accountId, providerMessageId)
        .set({ accountId, message, createdAt: now, expireAt: new Date(now.getTime() + keepMs) });
    },
    async read(accountId, providerMessageId) {
      return (await sentMedia.doc(db, accountId, providerMessageId).get()).data()?.message;
    },
  };
}
