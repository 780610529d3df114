import assert from "node:assert/strict";
import { ByteBudget } from "../../../worker/src/media/byteBudget";

/** Lets every settled promise's continuations run. */
const settle = () => new Promise((r) => setImmediate(r));

describe("the worker's budget of media bytes in flight", () => {
  it("lets files through while they fit, and the next one in line once room is given back", async () => {
    const budget = new ByteBudget(100);
    const order: string[] = [];
    const releaseA = await budget.reserve(60);
    void budget.reserve(50).then((release) => (order.push("b"), release));
    const c = budget.reserve(10).then((release) => (order.push("c"), release));
    await settle();
    assert.deepEqual(order, [], "b does not fit yet, and c waits behind it (first come, first served)");
    releaseA();
    await settle();
    assert.deepEqual(order, ["b", "c"]);
    (await c)();
  });

  it("lets a file larger than the whole budget through alone", async () => {
    const budget = new ByteBudget(100);
    const small = await budget.reserve(10);
    let big = false;
    const bigGone = budget.use(500, async () => {
      big = true;
    });
    await settle();
    assert.equal(big, false, "it waits for the budget to be empty");
    small();
    await bigGone;
    assert.equal(big, true);
  });

  it("gives a reservation back once, however often its release is called", async () => {
    const budget = new ByteBudget(100);
    const release = await budget.reserve(100);
    release();
    const again = await budget.reserve(100);
    release(); // a second call must not free what `again` holds
    let third = false;
    void budget.reserve(1).then(() => (third = true));
    await settle();
    assert.equal(third, false);
    again();
  });
});
