import { Timestamp, type Firestore } from "firebase-admin/firestore";
import { paths } from "@wa-gateway/core";
import { type AccountStatus } from "@wa-gateway/core/documents";
import { newAccountDocument } from "@wa-gateway/core/proxies";
import { waSessions } from "@wa-gateway/data";

/** Writes an account document as the add-account callable would, with the given overrides. */
export async function seedAccount(
  db: Firestore,
  accountId: string,
  over: {
    status?: AccountStatus;
    memberUids?: string[];
    /** Pairing-code login instead of a QR. */
    phoneNumber?: string;
    owner?: { workerId: string; leaseUntil: Date; epoch: number };
  } = {},
): Promise<void> {
  await db.doc(paths.account(accountId)).set({
    ...newAccountDocument({
      createdBy: "admin",
      now: new Date(),
      status: over.status ?? "connected",
      memberUids: over.memberUids,
      phoneNumber: over.phoneNumber,
    }),
    qrRequestedAt: null,
    owner: over.owner ? { ...over.owner, leaseUntil: Timestamp.fromDate(over.owner.leaseUntil) } : null,
  });
}

export function sendPayload(over: Record<string, unknown> = {}) {
  return {
    threadId: "thread-1",
    accountId: "acc-1",
    toJid: "+40712345678@s.whatsapp.net",
    text: "hello from the tests",
    clientMessageId: "client-1",
    ...over,
  };
}

/** Number of documents in a collection (count aggregation, one read). */
export async function countDocs(db: Firestore, collectionPath: string): Promise<number> {
  return (await db.collection(collectionPath).count().get()).data().count;
}

/** Every document path in the database, found by walking collections: used to prove nothing was written. */
export async function allDocumentPaths(db: Firestore): Promise<string[]> {
  const out: string[] = [];
  const walk = async (collections: FirebaseFirestore.CollectionReference[]) => {
    for (const col of collections) {
      const refs = await col.listDocuments();
      for (const ref of refs) {
        if ((await ref.get()).exists) out.push(ref.path);
        await walk(await ref.listCollections());
      }
    }
  };
  await walk(await db.listCollections());
  return out.sort();
}

/** A session the simulated transport opens without a QR, as a lease holder of epoch 0 left it. */
export async function seedLinkedSession(db: Firestore, accountId: string, meJid: string): Promise<void> {
  await waSessions.write(db, accountId).set({ epoch: 0, creds: JSON.stringify({ meJid }), updatedAt: new Date() });
}

/** The account lease was given back (released, its epoch kept), or nobody ever held it. */
export function leaseGivenBack(account: { owner?: { releasedAt?: unknown } | null } | undefined): boolean {
  return !!account && (!account.owner || account.owner.releasedAt !== undefined);
}
