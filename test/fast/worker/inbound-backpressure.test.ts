import assert from "node:assert/strict";
import { InboundBackpressure } from "../../../worker/src/inbound/inboundBackpressure";
import type { InboundStore } from "../../../worker/src/inbound/inboundStore";
import { memoryAccountLeaseStore } from "../../support/memoryStores/memoryAccountLeaseStore";
import { memoryInboundStore } from "../../support/memoryStores/memoryInboundStore";
import { memoryWorld } from "../../support/memoryStores/memoryWorld";
import { watchedLogger } from "../../support/memoryWorker";

const message = (n: number) => ({
  messageId: `M${n}`,
  fromJid: "40711111111@s.whatsapp.net",
  text: `inbound ${n}`,
  timestamp: new Date(),
});

describe("inbound backpressure over in-memory stores", function () {
  this.timeout(5_000);
  const world = memoryWorld();
  beforeEach(() => world.reset());

  /** The inbound store, held back until `release()`, or failing while `failing`. */
  function controlledStore() {
    const real = memoryInboundStore(world.db());
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const control = { holding: false, failing: false, release };
    const store: InboundStore = {
      ...real,
      store: async (accountId, m) => {
        if (control.failing) throw new Error("14 UNAVAILABLE: the database is away");
        if (control.holding) await held;
        return real.store(accountId, m);
      },
    };
    return { store, control };
  }

  function backpressure(store: InboundStore, over: { capacity?: number; stuckAfterMs?: number; epoch?: number } = {}) {
    const events: string[] = [];
    let heard: () => void = () => undefined;
    const inbound = new InboundBackpressure({
      store,
      logger: watchedLogger("w1").logger,
      capacity: over.capacity ?? 100,
      stuckAfterMs: over.stuckAfterMs ?? 60_000,
      accounts: memoryAccountLeaseStore(world.db(), "w1", 30),
      epochOf: () => over.epoch,
      pause: () => {
        events.push("pause");
        heard();
      },
      resume: () => {
        events.push("resume");
        heard();
      },
    });
    const when = (event: string) =>
      new Promise<void>((resolve) => {
        heard = () => events.includes(event) && resolve();
        heard();
      });
    return { inbound, events, when };
  }

  it("pauses the sockets once the queue is full", async () => {
    const { store, control } = controlledStore();
    control.holding = true;
    const { inbound, events } = backpressure(store, { capacity: 2 });
    inbound.push("acc-1", message(1));
    assert.deepEqual(events, []);
    inbound.push("acc-1", message(2));
    assert.deepEqual(events, ["pause"]);
    assert.equal(inbound.paused, true);
    control.release();
    await inbound.drain();
  });

  it("resumes them once half drained, every message stored", async () => {
    const { store, control } = controlledStore();
    control.holding = true;
    const { inbound, events, when } = backpressure(store, { capacity: 2 });
    inbound.push("acc-1", message(1));
    inbound.push("acc-1", message(2));
    control.release();
    await when("resume");
    assert.deepEqual(events, ["pause", "resume"]);
    assert.equal(inbound.paused, false);
    await inbound.drain();
    assert.equal(world.db().inboundDedupe.size, 2);
  });

  it("after the drain a message is not stored and says so at once: no receipt waits for it", async () => {
    const { inbound } = backpressure(memoryInboundStore(world.db()));
    await inbound.drain();
    assert.equal(await inbound.push("acc-1", message(1)), "not_committed");
    assert.equal(world.db().inboundDedupe.size, 0);
  });

  it("answers not stored when whether a message was stored cannot be read", async () => {
    const { store } = controlledStore();
    await store.store("acc-1", message(1));
    const { inbound } = backpressure({ ...store, stored: () => Promise.reject(new Error("14 UNAVAILABLE")) });
    const ref = { messageId: "M1", fromJid: message(1).fromJid };
    assert.equal(await inbound.stored("acc-1", ref), false);
    assert.equal(await backpressure(store).inbound.stored("acc-1", ref), true);
  });

  it("marks an account whose messages cannot be stored as stuck, and clears the mark once stored", async () => {
    await world.putAccount("acc-1");
    const claim = await world.accountLeases("w1").claim("acc-1");
    assert.equal(claim.kind, "claimed");
    const { store, control } = controlledStore();
    control.failing = true;
    const { inbound } = backpressure(store, { stuckAfterMs: 50, epoch: claim.epoch });
    inbound.push("acc-1", message(1));
    const stuck = await world.db().until("the stuck mark", () => world.db().accounts.get("acc-1")?.inboundStuckSince);
    assert.ok(stuck.toMillis() <= Date.now());
    control.failing = false;
    await world.db().until("the mark cleared", () => world.db().accounts.get("acc-1")?.inboundStuckSince === null);
    assert.equal(world.db().inboundDedupe.size, 1);
    await inbound.drain();
  });
});
