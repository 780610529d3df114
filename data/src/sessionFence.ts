import { FieldValue, type Firestore, type Timestamp, type WriteBatch } from "firebase-admin/firestore";
import { GrpcStatus, grpcStatusOf } from "@wa-gateway/core";
import { type AccountDocument } from "@wa-gateway/core/documents";
import { accounts } from "./collections/accounts";
import { waSessionKeys, waSessions } from "./collections/sessions";

/** Whether the account document still names the writer's lease (holder and epoch). */
export type HoldsAccountLease = (account: AccountDocument) => boolean;

/** A batch under the account lease: `written` (at `writeTime`), or nothing written. */
export type LeaseCommit = { result: "written"; writeTime: Timestamp } | { result: "fenced" | "missing" };

const MAX_ATTEMPTS = 10;
/** Keys deleted per batch: Firestore allows 500 writes per commit, one is the account's. */
const DELETE_PAGE = 400;

/**
 * Commits what `write` adds to a batch only while `holds` is true of the account document: the
 * batch carries an update-time precondition on the account as read, so it fails if the lease
 * moved meanwhile, and is tried again on a fresh read. `write` may answer "fenced" to write nothing.
 */
export async function underAccountLease(
  db: Firestore,
  accountId: string,
  holds: HoldsAccountLease,
  write: (batch: WriteBatch) => Promise<"fenced" | void> | "fenced" | void,
  accountFields: Record<string, unknown> = {},
): Promise<LeaseCommit> {
  const ref = accounts.doc(db, accountId);
  for (let attempt = 1; ; attempt++) {
    const snap = await ref.get();
    const account = snap.data();
    if (!account) return { result: "missing" };
    if (!holds(account)) return { result: "fenced" };
    const batch = db.batch();
    batch.update(
      ref,
      { ...accountFields, updatedAt: FieldValue.serverTimestamp() },
      { lastUpdateTime: snap.updateTime! },
    );
    if ((await write(batch)) === "fenced") return { result: "fenced" };
    try {
      const [accountWrite] = await batch.commit();
      return { result: "written", writeTime: accountWrite!.writeTime };
    } catch (err) {
      const code = grpcStatusOf(err);
      // Someone wrote the account (a renewal) or the session between our read and our commit.
      if ((code !== GrpcStatus.FAILED_PRECONDITION && code !== GrpcStatus.ALREADY_EXISTS) || attempt >= MAX_ATTEMPTS)
        throw err;
    }
  }
}

/**
 * The one way a session is cleared (logout, removal by the callable, the dormant sweep), always
 * under the account lease of `epoch`:
 * 1. move the fence: the session document is rewritten (creds wiped, our epoch), so every later
 *    commit of an older writer fails its update-time precondition and writes nothing;
 * 2. delete every key, page by page, until a listing finds none: keys an older writer committed
 *    before step 1 included, and none can appear after it;
 * 3. delete the session document and stamp `sessionClearedAt` on the account, in one batch.
 * A session is only opened under the account lease (worker/src/accounts/sessionStore.ts), and
 * whoever cleared it gives the lease up, so nothing recreates it until a new claim links again.
 */
export async function clearSession(
  db: Firestore,
  accountId: string,
  epoch: number,
  holds: HoldsAccountLease,
): Promise<"written" | "fenced" | "missing"> {
  const sessionRef = waSessions.write(db, accountId);
  const fenceMoved = await underAccountLease(db, accountId, holds, (batch) => {
    batch.set(sessionRef, { epoch, creds: null, updatedAt: FieldValue.serverTimestamp() });
  });
  if (fenceMoved.result !== "written") return fenceMoved.result;
  for (;;) {
    const keys = await waSessionKeys.all(db, accountId).select().limit(DELETE_PAGE).get();
    if (keys.empty) break;
    const deleted = await underAccountLease(db, accountId, holds, (batch) => {
      for (const key of keys.docs) batch.delete(key.ref);
    });
    if (deleted.result !== "written") return deleted.result;
  }
  const finished = await underAccountLease(db, accountId, holds, (batch) => void batch.delete(sessionRef), {
    sessionClearedAt: FieldValue.serverTimestamp(),
  });
  return finished.result;
}
