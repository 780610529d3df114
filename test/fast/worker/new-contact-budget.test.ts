import assert from "node:assert/strict";
import type { OutboxDocument } from "@wa-gateway/core/documents";
import { seedMemorySession } from "../../support/memoryStores/memorySessionStore";
import { memoryWorkersPerTest } from "../../support/memoryWorker";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const BUDGET = [{ fromDay: 0, perHour: 5, perDay: 12 }];

/** First messages to new contacts against the account's budget, over the in-memory stores. */
describe("new-contact budget", function () {
  this.timeout(20_000);
  const { world, network, start } = memoryWorkersPerTest();
  const db = () => world.db();
  const entries = () => [...db().outbox.entries()];
  const firstMessages = (status: OutboxDocument["status"]) =>
    entries().filter(([id, e]) => id.startsWith("first-") && e.status === status);
  const until = (what: string, check: () => boolean) => db().until(what, () => (check() ? true : undefined));

  beforeEach(async () => {
    seedMemorySession(db(), "acc-1", { meJid: "me@s.whatsapp.net" });
  });

  async function connect(options: { addedDaysAgo?: number; newContacts?: typeof BUDGET } = {}) {
    await world.putAccount("acc-1", {
      status: "connecting",
      createdAt: new Date(db().clock.now() - (options.addedDaysAgo ?? 0) * DAY),
    });
    const worker = await start({ newContacts: options.newContacts ?? BUDGET });
    await until("connected", () => db().accounts.get("acc-1")?.status === "connected");
    return worker;
  }

  /** `n` first messages to `n` new contacts, and `replies` messages in threads contacts opened. */
  async function queue(n: number, replies = 0) {
    const t = db().clock.now();
    for (let i = 0; i < n; i++) {
      await world.putOutboxEntry(`first-${i}`, {
        threadId: `t-new-${i}`,
        toJid: `4070000${String(i).padStart(4, "0")}@s.whatsapp.net`,
        firstContact: true,
        createdAt: new Date(t - 60_000 + i),
        nextAttemptAt: new Date(t - 60_000 + i),
      });
    }
    for (let i = 0; i < replies; i++) {
      await world.putOutboxEntry(`reply-${i}`, {
        threadId: `wa_known-${i}`,
        toJid: `4071111${String(i).padStart(4, "0")}@s.whatsapp.net`,
        createdAt: new Date(t - 30_000 + i),
        nextAttemptAt: new Date(t - 30_000 + i),
      });
    }
  }

  it("queues 50 first messages at the budget's rate while replies to known contacts go at once", async () => {
    await connect();
    await queue(50, 5);
    await until(
      "replies sent and the hour's first messages",
      () =>
        firstMessages("sent").length === 5 &&
        entries().filter(([id, e]) => id.startsWith("reply-") && e.status === "sent").length === 5,
    );
    await until(
      "the rest held",
      () => firstMessages("queued").filter(([, e]) => e.heldReason === "new_contact_budget").length === 45,
    );
    // Counted when claimed, a moment before `sentAt` is written.
    const firstSentAt = Math.min(...firstMessages("sent").map(([, e]) => e.sentAt!.toMillis())) - 1_000;
    for (const [, held] of firstMessages("queued")) {
      assert.ok(
        held.nextAttemptAt.toMillis() >= firstSentAt + HOUR,
        "held until a first message of the hour leaves its window",
      );
    }

    db().clock.advance(HOUR);
    await until("the next hour's five", () => firstMessages("sent").length === 10);
    db().clock.advance(HOUR);
    await until("the day's budget spent", () => firstMessages("sent").length === 12);
    db().clock.advance(HOUR);
    // A quiet hour, but the day's budget is spent: the rest wait for the day window.
    await until("held by the day", () =>
      firstMessages("queued").every(([, e]) => e.nextAttemptAt.toMillis() >= firstSentAt + DAY),
    );
    assert.equal(firstMessages("sent").length, 12);
    assert.equal(network().deliveriesTo("40711110000@s.whatsapp.net").length, 1);
  });

  it("gives an older account the larger budget of its warm-up stage", async () => {
    await connect({ addedDaysAgo: 15, newContacts: [...BUDGET, { fromDay: 14, perHour: 8, perDay: 30 }] });
    await queue(10);
    await until("eight sent", () => firstMessages("sent").length === 8);
    await until("two held", () => firstMessages("queued").filter(([, e]) => e.heldReason !== null).length === 2);
  });

  it("counts the first messages an earlier holder sent today", async () => {
    const earlier = db().clock.now() - 10 * 60_000;
    for (let i = 0; i < 4; i++) {
      await world.putOutboxEntry(`earlier-${i}`, {
        threadId: `t-earlier-${i}`,
        firstContact: true,
        status: "sent",
        sentAt: new Date(earlier + i),
      });
    }
    await connect();
    await queue(3);
    await until("one sent", () => firstMessages("sent").length === 1);
    await until(
      "two held",
      () => firstMessages("queued").filter(([, e]) => e.heldReason === "new_contact_budget").length === 2,
    );
  });
});

/** WhatsApp's timelock as the account document carries it from one holder to the next. */
describe("a reach-out timelock across holders", function () {
  this.timeout(20_000);
  const memory = memoryWorkersPerTest();
  const { world, start } = memory;
  const db = () => world.db();
  const until = (what: string, check: () => boolean) => db().until(what, () => (check() ? true : undefined));
  const entry = (id: string) => db().outbox.get(id)!;

  beforeEach(() => seedMemorySession(db(), "acc-1", { meJid: "me@s.whatsapp.net" }));

  async function queueFirstMessage(over: Record<string, unknown> = {}) {
    await world.putOutboxEntry("first", { threadId: "t-new", firstContact: true, ...over });
    await world.putOutboxEntry("reply", { threadId: "wa_known", toJid: "40711110000@s.whatsapp.net" });
  }

  it("holds first messages under the lock an earlier holder recorded, and lets replies go", async () => {
    const lockEnds = new Date(db().clock.now() + 2 * HOUR);
    await world.putAccount("acc-1", {
      status: "connecting",
      reachoutLock: { until: lockEnds, enforcement: "RESTRICT_ALL_COMPANIONS", seenAt: new Date() },
    });
    await queueFirstMessage();
    await start();
    await until("the reply sent", () => entry("reply").status === "sent");
    await until("the first message held", () => entry("first").heldReason === "reachout_timelock");
    assert.equal(entry("first").nextAttemptAt.toMillis(), lockEnds.getTime());
    assert.equal(entry("first").status, "queued");
  });

  it("records what WhatsApp said in the order it said it, however slow the first write", async () => {
    await world.putAccount("acc-1", { status: "connecting" });
    let calls = 0;
    let recorded = 0;
    let bothWritten!: () => void;
    const written = new Promise<void>((resolve) => (bothWritten = resolve));
    const { network } = memory;
    await start({
      leases: (store) => ({
        ...store,
        recordReachout: async (...args) => {
          // The pushed lock's write is slow; the query's answer, a moment later, is not.
          if (calls++ === 0) await new Promise((resolve) => setTimeout(resolve, 200));
          const result = await store.recordReachout(...args);
          if (++recorded === 2) bothWritten();
          return result;
        },
      }),
    });
    await until("connected", () => db().accounts.get("acc-1")?.status === "connected");
    const untilMs = db().clock.now() + 2 * HOUR;
    const lock = (enforcement: string) => ({ kind: "lock" as const, lock: { active: true, untilMs, enforcement } });
    assert.ok(network().reachout("acc-1", lock("DEFAULT")));
    assert.ok(network().reachout("acc-1", lock("RESTRICT_ALL_COMPANIONS")));
    await written;
    assert.equal(db().accounts.get("acc-1")!.reachoutLock!.enforcement, "RESTRICT_ALL_COMPANIONS");
  });

  it("sends what waited for a lock that was lifted while no holder was there", async () => {
    await world.putAccount("acc-1", { status: "connecting", reachoutLock: null });
    await queueFirstMessage({
      heldReason: "reachout_timelock",
      nextAttemptAt: new Date(db().clock.now() + 2 * HOUR),
    });
    await start();
    await until("the first message sent", () => entry("first").status === "sent");
  });
});
