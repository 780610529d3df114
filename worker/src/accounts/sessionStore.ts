import { createHash } from "node:crypto";
import { FieldValue, type Firestore, type Timestamp } from "firebase-admin/firestore";
import { LRUCache } from "lru-cache";
import { GrpcStatus, grpcStatusOf, type LeaseWrite } from "@wa-gateway/core";
import {
  clearSession,
  readTogether,
  underAccountLease,
  waSessionKeys,
  waSessions,
  type HoldsAccountLease,
} from "@wa-gateway/data";
import type { WaSessionKeyDocument } from "@wa-gateway/core/documents";
import { loadBaileys } from "../transport/baileys/module";
import type { SessionChange, SessionStore } from "../transport/transport";

/** Firestore's limits are 500 writes and 10 MiB per commit; stay well inside both. */
const MAX_WRITES_PER_BATCH = 400;
const MAX_BYTES_PER_BATCH = 4 * 1024 * 1024;
/** Firestore refuses a commit past 10 MiB: one key's parts go in one commit, so this is a key's bound. */
const MAX_BYTES_PER_KEY = 9 * 1024 * 1024;
/** A value whose text is larger than this (UTF-8) is split: a document holds at most 1 MiB. */
const SPLIT_ABOVE_BYTES = 900_000;
/** UTF-16 units per part: at most 3 UTF-8 bytes each, so a part stays under 900 000 bytes. */
const PART_UNITS = 300_000;
/** Keys whose part count this store knows (from its reads and commits), per store. */
const KNOWN_PARTS_KEPT = 10_000;

/** Splits `text` into slices of at most PART_UNITS units, never between a surrogate pair. */
export function splitText(text: string, units = PART_UNITS): string[] {
  const parts: string[] = [];
  for (let start = 0; start < text.length;) {
    let end = Math.min(start + units, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end = end - 1 > start ? end - 1 : end + 1;
    parts.push(text.slice(start, end));
    start = end;
  }
  return parts;
}

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("base64");

/** One document write of a commit. */
type DocWrite =
  | { kind: "key"; value: string; parts?: number; sha256?: string }
  | { kind: "part"; part: number; value: string }
  | { kind: "delete-key" }
  | { kind: "delete-part"; part: number };

/** Every document write of one key: they go in one batch, so a reader never sees half of a key. */
interface KeyWrites {
  type: string;
  id: string;
  docs: DocWrite[];
  bytes: number;
  /** The parts in Firestore once written (0: one document or none). */
  parts: number;
}

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
  /** How many parts each key has in Firestore (0: one document, or none), as far as this store knows. */
  const knownParts = new LRUCache<string, { parts: number }>({ max: KNOWN_PARTS_KEPT });
  const known = (type: string, id: string) => `${type}\u0000${id}`;

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

  /** The part counts of keys this store does not know yet, read from their key documents in one round trip. */
  async function learnParts(keys: { type: string; id: string }[]): Promise<void> {
    const unknown = keys.filter(({ type, id }) => !knownParts.has(known(type, id)));
    if (unknown.length === 0) return;
    const snaps = await readTogether(
      db,
      unknown.map(({ type, id }) => keyRef(type, id)),
    );
    for (const [index, snap] of snaps.entries()) {
      const { type, id } = unknown[index]!;
      knownParts.set(known(type, id), { parts: snap.data()?.parts ?? 0 });
    }
  }

  /** The document writes of one key: its value in one document, or split in parts; stale parts deleted. */
  function keyWrites(type: string, id: string, text: string | null): KeyWrites {
    const before = knownParts.get(known(type, id))?.parts ?? 0;
    const docs: DocWrite[] = [];
    let parts = 0;
    let bytes = id.length + 100;
    if (text === null) docs.push({ kind: "delete-key" });
    else if (Buffer.byteLength(text, "utf8") <= SPLIT_ABOVE_BYTES) {
      docs.push({ kind: "key", value: text });
      bytes += text.length;
    } else {
      const slices = splitText(text);
      parts = slices.length;
      docs.push({ kind: "key", value: "", parts, sha256: sha256(text) });
      for (const [part, value] of slices.entries()) docs.push({ kind: "part", part, value });
      bytes += Buffer.byteLength(text, "utf8") + parts * (id.length + 100);
    }
    for (let part = parts; part < before; part++) docs.push({ kind: "delete-part", part });
    return { type, id, docs, bytes, parts };
  }

  async function commitBatches(change: SessionChange): Promise<void> {
    if (!fence && (await open()) === "fenced") throw new SessionFenceLost(accountId);
    const entries: { type: string; id: string; text: string | null }[] = [];
    for (const [type, values] of Object.entries(change.keys ?? {})) {
      for (const [id, value] of Object.entries(values)) {
        entries.push({ type, id, text: value === null || value === undefined ? null : await encode(value) });
      }
    }
    await learnParts(entries);
    const writes = entries.map(({ type, id, text }) => keyWrites(type, id, text));
    const tooLarge = writes.find((w) => w.bytes > MAX_BYTES_PER_KEY);
    // Past Firestore's commit limit even alone: refused before anything is written.
    if (tooLarge) throw new Error(`session key ${tooLarge.type} is ${tooLarge.bytes} bytes, over ${MAX_BYTES_PER_KEY}`);
    const credsText = change.creds ? await encode(change.creds) : undefined;
    const batches: KeyWrites[][] = [[]];
    let bytes = credsText?.length ?? 0;
    let docs = 0;
    for (const write of writes) {
      const current = batches.at(-1)!;
      const full = docs + write.docs.length > MAX_WRITES_PER_BATCH || bytes + write.bytes > MAX_BYTES_PER_BATCH;
      if (current.length > 0 && full) {
        batches.push([]);
        bytes = 0;
        docs = 0;
      }
      batches.at(-1)!.push(write);
      bytes += write.bytes;
      docs += write.docs.length;
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
      for (const { type, id, docs: keyDocs } of keys) {
        for (const doc of keyDocs) {
          if (doc.kind === "key") {
            const { value, parts, sha256: hash } = doc;
            batch.set(waSessionKeys.write(db, accountId, type, id), {
              type,
              id,
              value,
              ...(parts ? { parts, sha256: hash } : {}),
            });
          } else if (doc.kind === "part")
            batch.set(waSessionKeys.partWrite(db, accountId, type, id, doc.part), {
              type,
              id,
              part: doc.part,
              value: doc.value,
            });
          else if (doc.kind === "delete-key") batch.delete(keyRef(type, id));
          else batch.delete(waSessionKeys.part(db, accountId, type, id, doc.part));
        }
      }
      try {
        const [fenceWrite] = await batch.commit();
        fence = fenceWrite!.writeTime;
      } catch (err) {
        // What this batch wrote is unknown to us now: ask Firestore next time.
        for (const { type, id } of keys) knownParts.delete(known(type, id));
        const code = grpcStatusOf(err);
        if (code === GrpcStatus.FAILED_PRECONDITION || code === GrpcStatus.NOT_FOUND)
          throw new SessionFenceLost(accountId);
        throw err;
      }
      for (const { type, id, parts } of keys) knownParts.set(known(type, id), { parts });
    }
  }

  /** A split key's text: its parts joined, checked against the hash its key document carries. */
  async function joinedText(type: string, id: string, head: WaSessionKeyDocument): Promise<string | undefined> {
    for (let attempt = 0; ; attempt++) {
      const current = attempt === 0 ? head : (await keyRef(type, id).get()).data();
      if (!current) return undefined;
      if (!current.parts) return current.value;
      const snaps = await readTogether(
        db,
        Array.from({ length: current.parts }, (_, part) => waSessionKeys.part(db, accountId, type, id, part)),
      );
      const text = snaps.map((snap) => snap.data()?.value ?? "").join("");
      if (sha256(text) === current.sha256) return text;
      // A commit of this key landed between our reads: read it again.
      if (attempt >= 3) throw new Error(`session key ${type}: its parts do not match its hash`);
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
        const id = ids[index]!;
        const key = snap.data();
        // Only a key not known yet: a commit of ours that finished meanwhile knows better.
        if (!knownParts.has(known(type, id))) knownParts.set(known(type, id), { parts: key?.parts ?? 0 });
        if (!key) continue;
        const text = key.parts ? await joinedText(type, id, key) : key.value;
        if (text !== undefined) found[id] = await decode(text);
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
