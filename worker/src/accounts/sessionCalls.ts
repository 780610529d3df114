import { SessionClosed, type SessionStore } from "../transport/transport";

/**
 * Every session call of this worker's accounts, so that a shutdown can close them all: a login
 * may still be reading its session when the worker stops (and an account let go just before may
 * still be clearing one), and the worker closes Firestore right after its accounts. Closing waits
 * for the calls in flight (a creds commit included) and refuses every later one.
 */
export class SessionCalls {
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  /** `store`, its calls counted here. */
  wrap(store: SessionStore, accountId: string): SessionStore {
    const tracked =
      <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
      (...args: A): Promise<R> => {
        if (this.closed) return Promise.reject(new SessionClosed(accountId));
        const running = Promise.resolve().then(() => call(...args));
        const settled: Promise<unknown> = running.then(
          () => this.inFlight.delete(settled),
          () => this.inFlight.delete(settled),
        );
        this.inFlight.add(settled);
        return running;
      };
    return {
      open: tracked(() => store.open()),
      readCreds: tracked(() => store.readCreds()),
      readKeys: tracked((type: string, ids: string[]) => store.readKeys(type, ids)),
      commit: tracked((change: Parameters<SessionStore["commit"]>[0]) => store.commit(change)),
      flushed: tracked(() => store.flushed()),
      clear: tracked(() => store.clear()),
    };
  }

  /** Refuses every later call, and resolves once every call already made has finished. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.inFlight);
  }
}
