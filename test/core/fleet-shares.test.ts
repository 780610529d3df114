import assert from "node:assert/strict";
import { fleetShares, handOverChoice } from "@wa-gateway/core/accounts";

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

describe("hand-over choice", () => {
  const HOUR = 3_600_000;
  const now = 10 * HOUR;
  const held = (...ids: string[]) => ids.map((accountId) => ({ accountId, movedAtMs: 0, stoppingForPerson: false }));

  it("hands over the excess, lowest ids first, when the others have room", () => {
    const choice = handOverChoice(held("c", "a", "d", "b"), 2, [{ held: 0, share: 2 }], now, HOUR);
    assert.deepEqual(choice, { excess: 2, room: 2, moving: ["a", "b"] });
  });

  it("never hands over more than the room the others announced", () => {
    const choice = handOverChoice(held("a", "b", "c", "d"), 1, [{ held: 2, share: 3 }], now, HOUR);
    assert.deepEqual(choice.moving, ["a"]);
  });

  it("keeps an account that moved within the interval, and one stopping for a person", () => {
    const accounts = [
      { accountId: "a", movedAtMs: now - HOUR / 2, stoppingForPerson: false },
      { accountId: "b", movedAtMs: 0, stoppingForPerson: true },
      { accountId: "c", movedAtMs: now - HOUR, stoppingForPerson: false },
    ];
    assert.deepEqual(handOverChoice(accounts, 0, [{ held: 0, share: 3 }], now, HOUR).moving, ["c"]);
  });

  it("moves nothing within its share", () => {
    assert.deepEqual(handOverChoice(held("a", "b"), 2, [{ held: 0, share: 5 }], now, HOUR), {
      excess: 0,
      room: 5,
      moving: [],
    });
  });
});
