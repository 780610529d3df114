import { FieldPath, type Firestore } from "firebase-admin/firestore";
import { membersLag, removedMembers, strippedThread, type AccountMembersStore } from "@wa-gateway/core/proxies";
import { accounts, threads } from "@wa-gateway/data";

/** Threads re-read and stripped per transaction (with the account: its members as they are then). */
const STRIP_PAGE = 200;

/** `accounts/{id}.memberUids` and the account's threads, for the members callable and sweep. */
export function firestoreMembersStore(db: Firestore): AccountMembersStore {
  /** The threads that may need stripping: those of the users removed, or (unknown) every one. */
  async function candidates(accountId: string, removed: string[] | null): Promise<string[]> {
    if (removed !== null) {
      const found = new Set<string>();
      for (const uid of removed) {
        for (const query of [threads.ownedBy(db, accountId, uid), threads.coWrittenBy(db, accountId, uid)]) {
          for (const doc of (await query.select().get()).docs) found.add(doc.id);
        }
      }
      return [...found];
    }
    const ids: string[] = [];
    for (let last: string | undefined; ;) {
      let page = threads.ofAccount(db, accountId).orderBy(FieldPath.documentId()).select().limit(500);
      if (last !== undefined) page = page.startAfter(last);
      const { docs } = await page.get();
      ids.push(...docs.map((doc) => doc.id));
      if (docs.length < 500) return ids;
      last = docs.at(-1)!.id;
    }
  }

  /** Strips the threads `ids` against the account's members as read in the same transaction; answers how many changed. */
  function strip(accountId: string, ids: string[]): Promise<number> {
    return db.runTransaction(async (tx) => {
      const account = (await tx.get(accounts.doc(db, accountId))).data();
      const snaps = await tx.getAll(...ids.map((id) => threads.doc(db, id)));
      let changed = 0;
      for (const snap of snaps) {
        const thread = snap.data();
        if (!thread || thread.accountId !== accountId) continue;
        const fields = strippedThread(thread, account?.memberUids ?? []);
        if (!fields) continue;
        tx.update(snap.ref, { ...fields, updatedAt: new Date() });
        changed++;
      }
      return changed;
    });
  }

  return {
    setMembers(accountId, memberUids, now) {
      return db.runTransaction(async (tx) => {
        const ref = accounts.doc(db, accountId);
        if (!(await tx.get(ref)).exists) return "missing" as const;
        tx.update(ref, { memberUids, updatedAt: now });
        return "set" as const;
      });
    },

    async revoke(accountId) {
      for (;;) {
        const account = (await accounts.doc(db, accountId).get()).data();
        if (!account) return { kind: "missing" };
        const members = account.memberUids;
        const removed = removedMembers(members, account.memberUidsApplied);
        const ids = await candidates(accountId, removed);
        let threadsChanged = 0;
        for (let start = 0; start < ids.length; start += STRIP_PAGE)
          threadsChanged += await strip(accountId, ids.slice(start, start + STRIP_PAGE));
        // Recorded only if the members are still those stripped against; else another round.
        const applied = await db.runTransaction(async (tx) => {
          const ref = accounts.doc(db, accountId);
          const now = (await tx.get(ref)).data();
          if (!now) return "missing" as const;
          if (membersLag(now.memberUids, members)) return "changed" as const;
          tx.update(ref, { memberUidsApplied: members });
          return "applied" as const;
        });
        if (applied === "missing") return { kind: "missing" };
        if (applied === "applied") return { kind: "revoked", threadsChanged, removedUids: removed };
      }
    },

    async lagging() {
      const snap = await accounts.kind.select(accounts.all(db), "memberUids", "memberUidsApplied").get();
      return snap.docs
        .filter((doc) => membersLag(doc.data().memberUids, doc.data().memberUidsApplied))
        .map((doc) => doc.id);
    },
  };
}
