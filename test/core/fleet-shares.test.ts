import assert from "node:assert/strict";
import { fleetShares } from "@wa-gateway/core/accounts";

const seats = (...caps: number[]) => caps.map((maxAccounts, i) => ({ workerId: `w${i + 1}`, maxAccounts }));
const sharesOf = (wanted: number, ...caps: number[]) => [...fleetShares(wanted, seats(...caps))].map(([, n]) => n);

describe("fleet shares", () => {
  it("spreads the accounts evenly, rounding up so every account has a seat", () => {
    assert.deepEqual(sharesOf(150, 50, 50, 50, 50), [38, 38, 37, 37]);
    assert.deepEqual(sharesOf(6, 10, 10), [3, 3]);
  });

  it("gives what a small worker cannot hold to the bigger ones", () => {
    const shares = fleetShares(6, seats(10, 1));
    assert.deepEqual([shares.get("w1"), shares.get("w2")], [5, 1]);
  });

  it("caps every worker: past the fleet's room the shares are the caps", () => {
    assert.deepEqual(sharesOf(500, 50, 50, 200), [50, 50, 200]);
  });

  it("gives nothing when no account wants a socket", () => {
    assert.deepEqual(sharesOf(0, 50, 50), [0, 0]);
  });
});
