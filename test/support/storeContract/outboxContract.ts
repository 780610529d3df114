import assert from "node:assert/strict";
import type { RetryPolicy } from "@wa-gateway/core/outbox";
import type { PendingEntry } from "../../../worker/src/outbox/outboxPort";
import type { StoreWorld } from "./storeWorld";

/** Retries due at once, three claims at most. */
const RETRY: RetryPolicy = { maxAttempts: 3, baseMs: 0, maxMs: 0 };
const HOUR = 3_600_000;

/** The outbox store's claim, lease and lifecycle answers, whichever database is under it. */
export function outboxContract(world: StoreWorld): void {
  describe("the outbox store", () => {
    const w1 = () => world.outbox("w1", RETRY);
    const w2 = () => world.outbox("w2", RETRY);
    const claimedBy = async (store = w1(), requestId = "req-1") => {
      const claim = await store.claim(requestId, "t1");
      assert.ok(claim.kind === "claimed", `answered ${claim.kind}`);
      return claim.epoch;
    };
    const status = async (requestId = "req-1") => [
      (await world.outboxEntry(requestId))?.status,
      (await world.threadMessage("t1", requestId))?.status,
    ];
    beforeEach(() => world.putOutboxEntry("req-1"));

    it("claims a due entry under the first epoch, handing over what to send", async () => {
      const claim = await w1().claim("req-1", "t1");
      assert.ok(claim.kind === "claimed", `answered ${claim.kind}`);
      assert.deepEqual([claim.epoch, claim.attempt, claim.takeover], [1, 1, false]);
      assert.deepEqual(claim.entry, {
        requestId: "req-1",
        epoch: 1,
        attempt: 1,
        threadId: "t1",
        accountId: "acc-1",
        toJid: "40712345678@s.whatsapp.net",
        text: "text of req-1",
        providerMessageId: "3EB0req-1",
        template: null,
        media: null,
        firstContact: false,
      });
      const entry = (await world.outboxEntry("req-1"))!;
      assert.deepEqual([entry.status, entry.claimedBy, entry.attempts], ["processing", "w1", 1]);
    });

    it("lets exactly one of two workers claiming at once have the entry", async () => {
      const claims = await Promise.all([w1().claim("req-1", "t1"), w2().claim("req-1", "t1")]);
      assert.deepEqual(claims.map((c) => c.kind).sort(), ["claimed", "held"]);
      assert.equal((await world.outboxEntry("req-1"))!.leaseEpoch, 1);
    });

    it("answers missing for an entry that does not exist", async () => {
      assert.deepEqual(await w1().claim("nothing", "t1"), { kind: "missing" });
    });

    it("answers held (leased, until the lease ends) to another worker while the lease lives", async () => {
      await claimedBy();
      const until = (await world.outboxEntry("req-1"))!.leaseUntil!.toMillis();
      assert.deepEqual(await w2().claim("req-1", "t1"), { kind: "held", why: "leased", until });
    });

    it("answers held (not due, until its next attempt) for a retry not due yet", async () => {
      const at = new Date(Date.now() + HOUR);
      await world.putOutboxEntry("req-2", { nextAttemptAt: at });
      assert.deepEqual(await w1().claim("req-2", "t1"), { kind: "held", why: "not_due", until: at.getTime() });
    });

    it("answers held (final, never again) for a sent entry", async () => {
      await world.putOutboxEntry("req-2", { status: "sent", sentAt: new Date() });
      assert.deepEqual(await w1().claim("req-2", "t1"), { kind: "held", why: "final", until: null });
    });

    it("is taken over under the next epoch once the lease ran out, the attempt counted", async () => {
      await claimedBy();
      await world.expireLeases();
      const claim = await w2().claim("req-1", "t1");
      assert.ok(claim.kind === "claimed", `answered ${claim.kind}`);
      assert.deepEqual([claim.epoch, claim.attempt, claim.takeover], [2, 2, true]);
    });

    it("gives up an entry claimed the most times without an outcome, and fails its message", async () => {
      await world.putOutboxEntry("req-1", { status: "processing", claimedBy: "w0", attempts: 3, leaseEpoch: 3 });
      await world.expireLeases();
      assert.deepEqual(await w1().claim("req-1", "t1"), { kind: "gave_up", attempts: 3 });
      assert.deepEqual(await status(), ["failed", "failed"]);
    });

    it("finishes under the lease: the entry and its message sent", async () => {
      const epoch = await claimedBy();
      assert.equal(await w1().finish("req-1", epoch, "t1"), "written");
      assert.deepEqual(await status(), ["sent", "sent"]);
      assert.ok((await world.outboxEntry("req-1"))!.sentAt);
    });

    it("fences the finish, renewal, failure and release of a holder the entry was taken from", async () => {
      const stale = await claimedBy();
      await world.expireLeases();
      await claimedBy(w2());
      assert.equal(await w1().finish("req-1", stale, "t1"), "fenced");
      assert.equal(await w1().renew("req-1", stale), "fenced");
      assert.equal(await w1().fail("req-1", stale, "t1", { permanent: true, message: "x" }), "fenced");
      assert.equal(await w1().release("req-1", stale), "fenced");
      const entry = (await world.outboxEntry("req-1"))!;
      assert.deepEqual([entry.status, entry.claimedBy, entry.leaseEpoch], ["processing", "w2", 2]);
      assert.equal((await world.threadMessage("t1", "req-1"))!.status, "queued");
    });

    it("answers missing to a write under a lease for an entry that does not exist", async () => {
      assert.equal(await w1().finish("nothing", 1, "t1"), "missing");
      assert.equal(await w1().renew("nothing", 1), "missing");
    });

    it("renews the holder's lease so that another worker still finds it held", async () => {
      const epoch = await claimedBy();
      await world.expireLeases();
      assert.equal(await w1().renew("req-1", epoch), "written");
      assert.equal((await w2().claim("req-1", "t1")).kind, "held");
    });

    it("queues a transient failure again, and the retry goes out under the same provider id", async () => {
      const epoch = await claimedBy();
      assert.equal(await w1().fail("req-1", epoch, "t1", { permanent: false, message: "blip" }), "retrying");
      const entry = (await world.outboxEntry("req-1"))!;
      assert.deepEqual([entry.status, entry.lastError, entry.claimedBy], ["queued", "blip", null]);
      const retry = await w2().claim("req-1", "t1");
      assert.ok(retry.kind === "claimed", `answered ${retry.kind}`);
      assert.deepEqual([retry.attempt, retry.entry.providerMessageId], [2, "3EB0req-1"]);
    });

    it("fails a permanent failure for good, and its message", async () => {
      const epoch = await claimedBy();
      assert.equal(await w1().fail("req-1", epoch, "t1", { permanent: true, message: "not on WhatsApp" }), "failed");
      assert.deepEqual(await status(), ["failed", "failed"]);
    });

    it("hands a released claim back: another worker claims it at once, the attempt not counted", async () => {
      const epoch = await claimedBy();
      assert.equal(await w1().release("req-1", epoch), "written");
      const claim = await w2().claim("req-1", "t1");
      assert.ok(claim.kind === "claimed", `answered ${claim.kind}`);
      assert.deepEqual([claim.attempt, claim.takeover], [1, false]);
    });

    it("lists an account's entries that are not final, oldest first, a page at a time", async () => {
      const t = Date.now();
      await world.putOutboxEntry("req-1", { createdAt: new Date(t - 3000) });
      await world.putOutboxEntry("req-2", { createdAt: new Date(t - 5000) });
      await world.putOutboxEntry("req-3", { createdAt: new Date(t - 4000), status: "sent" });
      await world.putOutboxEntry("req-4", { createdAt: new Date(t - 6000), accountId: "acc-2" });
      const page = await w1().pendingOf("acc-1", 10);
      assert.deepEqual(
        page.entries.map((e) => e.requestId),
        ["req-2", "req-1"],
      );
      assert.equal(page.full, false);
      const first = await w1().pendingOf("acc-1", 1);
      assert.deepEqual([first.entries.map((e) => e.requestId), first.full], [["req-2"], true]);
    });

    it("fails an account's backlog with the reason, leaving an entry under a live lease to its holder", async () => {
      await world.putOutboxEntry("req-2");
      await claimedBy(w2(), "req-2");
      assert.deepEqual(await w1().failBacklog("acc-1", "account removed", 10), { failed: 1, more: true });
      const entry = (await world.outboxEntry("req-1"))!;
      assert.deepEqual([entry.status, entry.lastError], ["failed", "not sent: account removed"]);
      assert.equal((await world.threadMessage("t1", "req-1"))!.status, "failed");
      assert.equal((await world.outboxEntry("req-2"))!.status, "processing");
    });

    it("finds the text sent under a provider id and the chat it went to, for this account and while young enough only", async () => {
      await world.putOutboxEntry("req-2", { status: "sent", sentAt: new Date() });
      await world.putOutboxEntry("req-3", { status: "sent", sentAt: new Date(Date.now() - 2 * HOUR) });
      const { toJid } = (await world.outboxEntry("req-2"))!;
      assert.deepEqual(await w1().sentMessage("acc-1", "3EB0req-2", HOUR), {
        text: "text of req-2",
        toJid,
        hasMedia: false,
      });
      assert.equal(await w1().sentMessage("acc-2", "3EB0req-2", HOUR), undefined);
      assert.equal(await w1().sentMessage("acc-1", "3EB0req-3", HOUR), undefined);
      assert.equal(await w1().sentMessage("acc-1", "3EB0req-1", HOUR), undefined, "queued: never sent");
    });

    it("watches the queued entries of the accounts named: those there, then each new one", async () => {
      await world.putOutboxEntry("req-other", { accountId: "acc-2" });
      const seen: PendingEntry[] = [];
      let heard: () => void = () => undefined;
      const unsubscribe = w1().watchQueued(
        ["acc-1"],
        10,
        (entry) => {
          seen.push(entry);
          heard();
        },
        (err) => assert.fail(err),
      );
      const until = (check: () => boolean) =>
        new Promise<void>((resolve) => {
          heard = () => check() && resolve();
          heard();
        });
      try {
        await until(() => seen.length >= 1);
        assert.deepEqual(
          seen.map((e) => [e.requestId, e.status]),
          [["req-1", "queued"]],
        );
        await world.putOutboxEntry("req-2");
        await until(() => seen.some((e) => e.requestId === "req-2"));
        assert.ok(!seen.some((e) => e.accountId === "acc-2"));
      } finally {
        unsubscribe();
      }
    });

    it("reschedules a queued entry with the reason it waits; a claim clears the reason", async () => {
      const until = Date.now() + HOUR;
      assert.equal(await w1().reschedule("req-1", until, "new_contact_budget"), "written");
      const held = (await world.outboxEntry("req-1"))!;
      assert.deepEqual([held.nextAttemptAt.toMillis(), held.heldReason], [until, "new_contact_budget"]);
      assert.deepEqual(await w1().claim("req-1", "t1"), { kind: "held", why: "not_due", until });
      assert.equal(await w1().reschedule("req-1", Date.now() - 1000, null), "written");
      await claimedBy();
      assert.equal((await world.outboxEntry("req-1"))!.heldReason, null);
    });

    it("leaves a claimed or missing entry as it is when asked to reschedule it", async () => {
      await claimedBy();
      assert.equal(await w2().reschedule("req-1", Date.now() + HOUR, "reachout_timelock"), "not_queued");
      assert.equal((await world.outboxEntry("req-1"))!.heldReason, null);
      assert.equal(await w2().reschedule("nothing", Date.now(), null), "missing");
    });

    it("lists when the account's first messages to new contacts went out, and only those", async () => {
      const at = (msAgo: number) => new Date(Date.now() - msAgo);
      await world.putOutboxEntry("first-old", { firstContact: true, status: "sent", sentAt: at(25 * HOUR) });
      await world.putOutboxEntry("first-new", { firstContact: true, status: "sent", sentAt: at(HOUR) });
      await world.putOutboxEntry("reply", { firstContact: false, status: "sent", sentAt: at(HOUR) });
      await world.putOutboxEntry("first-queued", { firstContact: true });
      await world.putOutboxEntry("other", { firstContact: true, status: "sent", sentAt: at(HOUR), accountId: "acc-2" });
      const since = await w1().firstContactsSentSince("acc-1", Date.now() - 24 * HOUR);
      assert.equal(since.length, 1);
      assert.ok(Math.abs(since[0]! - at(HOUR).getTime()) < 5_000);
    });
  });
}
