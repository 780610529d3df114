import { FieldValue, type Firestore, type Timestamp } from "firebase-admin/firestore";
import { GrpcStatus, grpcStatusOf, type LeaseWrite } from "@wa-gateway/core";
import {
  clearSession,
  readTogether,
  underAccountLease,
  waSessionKeys,
  waSessions,
  type HoldsAccountLease,
} from "@wa-gateway/data";
import { loadBaileys } from "../transport/baileys/module";
import type { SessionChange, SessionStore } from "../transport/transport";

/** Firestore's limits are 500 writes and 10 MiB per commit; stay well inside both. */
const MAX_WRITES_PER_BATCH = 400;
const MAX_BYTES_PER_BATCH = 4 * 1024 * 1024;

/** A commit that found the session fence moved: a newer lease holder owns the session now. */
export class SessionFenceLost extends Error {
  constructor(accountId: string) {
    super(`account ${accountId}: the session belongs to a newer lease holder; nothing written`);
    this.name = "SessionFenceLost";
  }
}

/**
 * One account's WhatsApp session in Firestore: the creds on `waSessions/{accountId}` and one
 * document per Signal key below it, values serialised with Baileys' `BufferJSON`.
 *
 * The fence: the creds document carries the lease epoch of the worker writing the session.
 * `open()` stamps our epoch on it, only while the account lease is ours under `epoch` (`holds`)
 * and no newer epoch is there, and every commit updates it with a precondition on the update
 * time of our own previous write. Once a newer holder has opened or cleared the session, any
 * commit of ours fails before writing a byte: a stale worker can never roll a Signal ratchet back
 * nor leave a key behind a clear. Commits are serialised, so our own writes never fence each
 * other. A cleared store stays cleared: only a new lease epoch (a new link) opens the session again.
 */
export function firestoreSessionStore(
  db: Firestore,
  accountId: string,
  epoch: number,
  holds: HoldsAccountLease,
): SessionStore {
  const credsRef = waSessions.doc(db, accountId);
  const keyRef = (type: string, id: string) => waSessionKeys.doc(db, accountId, type, id);
  let fence: Timestamp | undefined;
  let cleared = false;
  let queue: Promise<unknown> = Promise.resolve();

  const serialised = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };

  async function encode(value: unknown): Promise<string> {
    const { BufferJSON } = await loadBaileys();
    return JSON.stringify(value, BufferJSON.replacer);
  }

  async function decode(text: string): Promise<unknown> {
    const { BufferJSON } = await loadBaileys();
    return JSON.parse(text, BufferJSON.reviver);
  }

  async function open(): Promise<"opened" | "fenced"> {
    if (cleared) return "fenced";
    const opened = await underAccountLease(db, accountId, holds, async (batch) => {
      const snap = await credsRef.get();
      const theirs = snap.data()?.epoch;
      if (theirs !== undefined && theirs > epoch) return "fenced";
      // A write between our read and our commit (the old holder's last commit) fails the batch: read again.
      if (snap.exists)
        batch.update(
          credsRef,
          { epoch, updatedAt: FieldValue.serverTimestamp() },
          { lastUpdateTime: snap.updateTime! },
        );
      else
        batch.create(waSessions.write(db, accountId), { epoch, creds: null, updatedAt: FieldValue.serverTimestamp() });
    });
    if (opened.result !== "written") return "fenced";
    fence = opened.writeTime;
    return "opened";
  }

  async function commitBatches(change: SessionChange): Promise<void> {
    if (!fence && (await open()) === "fenced") throw new SessionFenceLost(accountId);
    const writes: { type: string; id: string; value: string | null; bytes: number }[] = [];
    for (const [type, values] of Object.entries(change.keys ?? {})) {
      for (const [id, value] of Object.entries(values)) {
        if (value === null || value === undefined) writes.push({ type, id, value: null, bytes: 100 });
        else {
          const text = await encode(value);
          writes.push({ type, id, value: text, bytes: text.length + id.length + 100 });
        }
      }
    }
    const credsText = change.creds ? await encode(change.creds) : undefined;
    const batches: (typeof writes)[] = [[]];
    let bytes = credsText?.length ?? 0;
    for (const write of writes) {
      const current = batches.at(-1)!;
      if (current.length >= MAX_WRITES_PER_BATCH || bytes + write.bytes > MAX_BYTES_PER_BATCH) {
        batches.push([]);
        bytes = 0;
      }
      batches.at(-1)!.push(write);
      bytes += write.bytes;
    }
    // The creds go with the last batch: they are written once every key they refer to is.
    for (const [index, keys] of batches.entries()) {
      const last = index === batches.length - 1;
      const batch = db.batch();
      batch.update(
        credsRef,
        { updatedAt: FieldValue.serverTimestamp(), ...(last && credsText !== undefined ? { creds: credsText } : {}) },
        { lastUpdateTime: fence! },
      );
      for (const { type, id, value } of keys) {
        if (value !== null) batch.set(waSessionKeys.write(db, accountId, type, id), { type, id, value });
        else batch.delete(keyRef(type, id));
      }
      try {
        const [fenceWrite] = await batch.commit();
        fence = fenceWrite!.writeTime;
      } catch (err) {
        const code = grpcStatusOf(err);
        if (code === GrpcStatus.FAILED_PRECONDITION || code === GrpcStatus.NOT_FOUND)
          throw new SessionFenceLost(accountId);
        throw err;
      }
    }
  }

  return {
    open: () => serialised(open),

    async readCreds() {
      const creds = (await credsRef.get()).data()?.creds;
      if (creds === null || creds === undefined) return undefined;
      return (await decode(creds)) as Record<string, unknown>;
    },

    async readKeys(type, ids) {
      if (ids.length === 0) return {};
      const snaps = await readTogether(
        db,
        ids.map((id) => keyRef(type, id)),
      );
      const found: Record<string, unknown> = {};
      for (const [index, snap] of snaps.entries()) {
        const key = snap.data();
        if (key) found[ids[index]!] = await decode(key.value);
      }
      return found;
    },

    commit: (change) => serialised(() => commitBatches(change)),

    /** Waits for every commit asked for so far (e.g. the creds before a 515 restart). */
    flushed: () => serialised(async () => undefined),

    clear: () =>
      serialised(async (): Promise<LeaseWrite> => {
        // From here no commit of this store writes again, whatever the clear answers.
        cleared = true;
        fence = undefined;
        return clearSession(db, accountId, epoch, holds);
      }),
  };
}
