import assert from "node:assert/strict";
import { sharedFigures } from "../../worker/src/metrics/outboxFigures";
import { RecentCount } from "../../worker/src/metrics/recentCount";

describe("worker metrics: bounded work, bounded memory", () => {
  it("fifty concurrent scrapes share one Firestore read, and the next ones use the cache", async () => {
    let reads = 0;
    const figures = sharedFigures(async () => {
      reads++;
      await new Promise((r) => setImmediate(r));
      return { readAtMs: Date.now(), queuedCount: 7 };
    });
    const answers = await Promise.all(Array.from({ length: 50 }, () => figures()));
    assert.equal(reads, 1);
    assert.ok(answers.every((a) => a?.queuedCount === 7));
    await figures();
    assert.equal(reads, 1, "cached within cacheMs");
  });

  it("a read that never answers costs a caller waitMs at most, then the last figures are served", async () => {
    type Figures = { readAtMs: number; n: number };
    let answer: ((v: Figures) => void) | undefined;
    const figures = sharedFigures(() => new Promise<Figures>((resolve) => (answer = resolve)), {
      cacheMs: 0,
      waitMs: 30,
    });
    const t0 = Date.now();
    assert.equal(await figures(), null, "nothing known yet");
    assert.ok(Date.now() - t0 < 1000);
    answer!({ readAtMs: Date.now(), n: 1 });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual((await figures())?.n, 1, "the figures read late are kept for the next caller");
  });

  it("counts the last five minutes in a fixed number of counters, however many events", () => {
    let now = 1_000_000;
    const recent = new RecentCount(5 * 60_000, 30, () => now);
    const slots = recent.slots;
    for (let i = 0; i < 200_000; i++) {
      recent.add();
      if (i % 1000 === 0) now += 1000; // 200 s of traffic
    }
    assert.equal(recent.total(), 200_000);
    assert.equal(recent.slots, slots, "memory does not grow with traffic");
    now += 5 * 60_000 + 10_000;
    assert.equal(recent.total(), 0, "all of it has left the window");
  });
});
