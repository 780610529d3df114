import assert from "node:assert/strict";
import type { Firestore } from "firebase-admin/firestore";
import { transactionRetryingClosed } from "../../functions/src/lib/firestore";

/** A Firestore whose transactions fail with `errors`, one per try, then commit. */
function failingFirst(errors: Error[]) {
  let tries = 0;
  const db = {
    runTransaction: async <T>(update: (tx: never) => Promise<T>) => {
      const err = errors[tries++];
      if (err) throw err;
      return update(undefined as never);
    },
  } as unknown as Firestore;
  return { db, tries: () => tries };
}
const grpcError = (code: number, message: string) => Object.assign(new Error(message), { code });
const closed = () => grpcError(3, "3 INVALID_ARGUMENT: Transaction is invalid or closed.");

describe("a transaction the emulator closes under contention", () => {
  it("is tried again, and commits", async () => {
    const { db, tries } = failingFirst([closed(), closed()]);
    assert.equal(await transactionRetryingClosed(db, async () => "committed"), "committed");
    assert.equal(tries(), 3);
  });

  it("gives up after three tries with the emulator's error", async () => {
    const { db, tries } = failingFirst([closed(), closed(), closed()]);
    await assert.rejects(() => transactionRetryingClosed(db, async () => "never"), /Transaction is invalid or closed/);
    assert.equal(tries(), 3);
  });

  it("passes any other error on at once, an invalid argument of another kind too", async () => {
    const other = failingFirst([grpcError(3, "3 INVALID_ARGUMENT: Value for argument is not valid")]);
    await assert.rejects(() => transactionRetryingClosed(other.db, async () => "never"), /not valid/);
    assert.equal(other.tries(), 1);
  });
});
