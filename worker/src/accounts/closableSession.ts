import type { SessionStore } from "../transport/transport";

/** A session call made after the worker closed the account's session (its shutdown). */
export class SessionClosed extends Error {
  constructor(accountId: string) {
    super(`account ${accountId}: the session is closed (the worker is stopping); nothing read or written`);
    this.name = "SessionClosed";
  }
}

export interface ClosableSession extends SessionStore {
  /** Refuses every later call, and resolves once every call already made has finished. */
  close(): Promise<void>;
}

/**
 * A held account's session that can be closed at shutdown: a socket's login may still be reading
 * its session when the worker stops, and the worker closes Firestore right after its accounts.
 * Closing waits for what is in flight (a creds commit included) and refuses what comes after.
 */
export function closableSession(store: SessionStore, accountId: string): ClosableSession {
  const inFlight = new Set<Promise<unknown>>();
  let closed = false;
  const tracked =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      if (closed) return Promise.reject(new SessionClosed(accountId));
      const running = call(...args);
      const settled = running.then(
        () => undefined,
        () => undefined,
      );
      inFlight.add(settled);
      void settled.then(() => inFlight.delete(settled));
      return running;
    };
  return {
    open: tracked(() => store.open()),
    readCreds: tracked(() => store.readCreds()),
    readKeys: tracked((type: string, ids: string[]) => store.readKeys(type, ids)),
    commit: tracked((change: Parameters<SessionStore["commit"]>[0]) => store.commit(change)),
    flushed: tracked(() => store.flushed()),
    clear: tracked(() => store.clear()),
    async close() {
      closed = true;
      await Promise.all(inFlight);
    },
  };
}
