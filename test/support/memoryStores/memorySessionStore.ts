import type { LeaseWrite } from "@wa-gateway/core";
import { SessionFenceLost } from "../../../worker/src/accounts/sessionStore";
import type { SessionChange, SessionStore } from "../../../worker/src/transport/transport";
import { roundTrip, type MemoryDatabase } from "./memoryDatabase";

/** Runs `deleteSession` only while the account lease is this epoch's (the account store's fenced write). */
export type LeaseFencedClear = (deleteSession: () => void) => Promise<LeaseWrite>;

/**
 * One account's session in a MemoryDatabase, fenced as Firestore's is: `open` stamps the epoch
 * on the creds document, only under the account lease (refused if a newer epoch is there), and a commit holds only while the
 * document is still at the version of this store's own last write, so once a newer holder has
 * opened it, every commit of ours fails before writing anything. Values are serialised as
 * Baileys' `BufferJSON` does (Buffers as base64), so they read back exactly as committed.
 */
export function memorySessionStore(
  db: MemoryDatabase,
  accountId: string,
  epoch: number,
  /** Whether the account lease is this store's epoch's now: a session opens only under it. */
  holds: () => boolean,
  clearUnderLease: LeaseFencedClear,
): SessionStore {
  let fence: number | undefined;
  let cleared = false;
  let queue: Promise<unknown> = Promise.resolve();
  const keysOf = () => {
    let keys = db.sessionKeys.get(accountId);
    if (!keys) db.sessionKeys.set(accountId, (keys = new Map()));
    return keys;
  };

  const serialised = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };

  async function open(): Promise<"opened" | "fenced"> {
    await roundTrip();
    if (cleared || !holds()) return "fenced";
    const doc = db.sessions.get(accountId);
    if (doc && doc.epoch > epoch) return "fenced";
    const version = (doc?.version ?? 0) + 1;
    db.sessions.set(accountId, { epoch, creds: doc?.creds ?? null, version });
    db.changed("sessions", accountId);
    fence = version;
    return "opened";
  }

  async function commit(change: SessionChange): Promise<void> {
    if (fence === undefined && (await open()) === "fenced") throw new SessionFenceLost(accountId);
    await roundTrip();
    const doc = db.sessions.get(accountId);
    if (!doc || doc.version !== fence) throw new SessionFenceLost(accountId);
    const keys = keysOf();
    for (const [type, values] of Object.entries(change.keys ?? {})) {
      for (const [id, value] of Object.entries(values)) {
        if (value === null || value === undefined) keys.delete(`${type}/${id}`);
        else keys.set(`${type}/${id}`, encode(value));
      }
    }
    const version = doc.version + 1;
    db.sessions.set(accountId, { ...doc, version, ...(change.creds ? { creds: encode(change.creds) } : {}) });
    db.changed("sessions", accountId);
    fence = version;
  }

  return {
    open: () => serialised(open),

    async readCreds() {
      await roundTrip();
      const creds = db.sessions.get(accountId)?.creds;
      return creds ? (decode(creds) as Record<string, unknown>) : undefined;
    },

    async readKeys(type, ids) {
      await roundTrip();
      const found: Record<string, unknown> = {};
      for (const id of ids) {
        const value = db.sessionKeys.get(accountId)?.get(`${type}/${id}`);
        if (value !== undefined) found[id] = decode(value);
      }
      return found;
    },

    commit: (change) => serialised(() => commit(change)),

    flushed: () => serialised(async () => undefined),

    clear: () =>
      serialised(async () => {
        const result = await clearUnderLease(() => {
          db.sessionKeys.delete(accountId);
          db.sessions.delete(accountId);
          db.changed("sessions", accountId);
        });
        // A cleared store stays cleared: only a new claim (a new link) opens the session again.
        fence = undefined;
        cleared = true;
        return result;
      }),
  };
}

/** A session as a lease holder of epoch 0 left it (the fixture of an account linked before). */
export function seedMemorySession(db: MemoryDatabase, accountId: string, creds: Record<string, unknown>): void {
  db.sessions.set(accountId, { epoch: 0, creds: encode(creds), version: 1 });
}

/** Baileys' BufferJSON: a Buffer (or Uint8Array) is `{ type: "Buffer", data: base64 }`. */
function encode(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, v: unknown) {
    const raw = this[key];
    if (raw instanceof Uint8Array) return { type: "Buffer", data: Buffer.from(raw).toString("base64") };
    return v;
  });
}

function decode(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    const b = v as { type?: unknown; data?: unknown } | null;
    if (b && typeof b === "object" && b.type === "Buffer") {
      if (typeof b.data === "string") return Buffer.from(b.data, "base64");
      if (Array.isArray(b.data)) return Buffer.from(b.data as number[]);
    }
    return v;
  });
}
