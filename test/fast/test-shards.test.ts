import assert from "node:assert/strict";
import { dealFiles, failureReport } from "../../scripts/lib/testShards";

describe("dealing test files to shards", () => {
  const durations: Record<string, number> = { "a.ts": 90, "b.ts": 60, "c.ts": 50, "d.ts": 40, "e.ts": 10 };
  const durationOf = (file: string) => durations[file]!;

  it("deals every file exactly once", () => {
    const deals = dealFiles(Object.keys(durations), 2, durationOf);
    assert.deepEqual(deals.flat().sort(), Object.keys(durations).sort());
  });

  it("balances the shards by duration, heaviest first", () => {
    const deals = dealFiles(Object.keys(durations), 2, durationOf);
    const totals = deals.map((files) => files.reduce((sum, f) => sum + durationOf(f), 0));
    assert.deepEqual(totals.sort(), [120, 130]);
  });

  it("makes no empty shard when there are fewer files than shards", () => {
    assert.deepEqual(dealFiles(["a.ts"], 3, durationOf), [["a.ts"]]);
  });

  it("keeps a group's files in one shard, weighed together", () => {
    const group = (file: string) => (file === "b.ts" || file === "e.ts" ? "emulators" : undefined);
    const deals = dealFiles(Object.keys(durations), 3, durationOf, group);
    const withB = deals.find((files) => files.includes("b.ts"))!;
    assert.ok(withB.includes("e.ts"), JSON.stringify(deals));
    // a (90), the group (b + e: 70) and c (50) open the three shards; d (40) joins c.
    assert.deepEqual(
      deals.map((files) => files.reduce((sum, f) => sum + durationOf(f), 0)).sort((x, y) => x - y),
      [70, 90, 90],
    );
  });
});

describe("a failed shard's report, repeated at the end of the output", () => {
  it("is mocha's failure block, from the count of failures on", () => {
    const output = [
      "  suite",
      "    ✔ passes",
      "  1 passing (2s)",
      "  1 failing",
      "",
      "  1) suite",
      "     Error: no",
    ].join("\n");
    assert.equal(failureReport(output), ["  1 failing", "", "  1) suite", "     Error: no"].join("\n"));
  });

  it("is the last lines when mocha never reported (a crash before the summary)", () => {
    const output = ["booting", "line 1", "line 2", "Error: emulator did not start"].join("\n");
    assert.equal(failureReport(output, 2), ["line 2", "Error: emulator did not start"].join("\n"));
  });
});
