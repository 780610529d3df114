import assert from "node:assert/strict";
import { fleetShares } from "@wa-gateway/core/accounts";

const seats = (...caps: number[]) => caps.map((maxAccounts, i) => ({ workerId: `w${i + 1}`, maxAccounts }));
/** Each worker's share, in the order the caps are given. */
const sharesOf = (wanted: number, ...caps: number[]) => {
  const shares = fleetShares(wanted, seats(...caps));
  return seats(...caps).map((s) => shares.get(s.workerId));
};

describe("fleet shares", () => {
  it("spreads the accounts evenly, rounding up so every account has a seat", () => {
    assert.deepEqual(sharesOf(150, 50, 50, 50, 50), [38, 38, 37, 37]);
    assert.deepEqual(sharesOf(6, 10, 10), [3, 3]);
  });

  it("gives what a small worker cannot hold to the bigger ones", () => {
    assert.deepEqual(sharesOf(6, 10, 1), [5, 1]);
  });

  it("caps every worker: past the fleet's room the shares are the caps", () => {
    assert.deepEqual(sharesOf(500, 200, 50, 50), [200, 50, 50]);
  });

  it("gives nothing when no account wants a socket", () => {
    assert.deepEqual(sharesOf(0, 50, 50), [0, 0]);
  });
});
