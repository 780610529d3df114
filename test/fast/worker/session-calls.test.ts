import assert from "node:assert/strict";
import { SessionCalls } from "../../../worker/src/accounts/sessionCalls";
import { SessionClosed, type SessionStore } from "../../../worker/src/transport/transport";

/** A session store whose reads wait for `release`, counting the reads that reached it. */
function slowStore() {
  let reached = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const store: SessionStore = {
    open: async () => "opened",
    readCreds: async () => {
      reached++;
      await gate;
      return { me: "x" };
    },
    readKeys: async () => ({}),
    commit: async () => undefined,
    flushed: async () => undefined,
    clear: async () => "written",
  };
  return { store, release, reached: () => reached };
}

describe("session calls closed at shutdown", () => {
  it("closing waits for the calls in flight, of every account", async () => {
    const calls = new SessionCalls();
    const a = slowStore();
    const b = slowStore();
    const reads = [calls.wrap(a.store, "acc-a").readCreds(), calls.wrap(b.store, "acc-b").readCreds()];
    let closed = false;
    const closing = calls.close().then(() => (closed = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(closed, false);
    a.release();
    b.release();
    await closing;
    assert.deepEqual(await Promise.all(reads), [{ me: "x" }, { me: "x" }]);
  });

  it("refuses every call after it closed, before it reaches the store", async () => {
    const calls = new SessionCalls();
    const a = slowStore();
    const session = calls.wrap(a.store, "acc-a");
    await calls.close();
    await assert.rejects(session.readCreds(), SessionClosed);
    assert.equal(a.reached(), 0);
  });

  it("a store that throws at once gives a rejection, not a throw", async () => {
    const calls = new SessionCalls();
    const broken = calls.wrap(
      {
        ...slowStore().store,
        open: () => {
          throw new Error("broken");
        },
      },
      "acc-a",
    );
    await assert.rejects(broken.open(), /broken/);
    await calls.close();
  });
});
