import assert from "node:assert/strict";
import { retryableCallError, withRetries } from "../../client/src/retry";

const callError = (code: string) => Object.assign(new Error(code), { code });

describe("the typed client's send retries", () => {
  it("retries unavailable and deadline-exceeded with growing, jittered pauses, then answers", async () => {
    const pauses: number[] = [];
    const failures = [callError("functions/unavailable"), callError("functions/deadline-exceeded")];
    let calls = 0;
    const answer = await withRetries(
      async () => {
        calls++;
        const failure = failures.shift();
        if (failure) throw failure;
        return "sent";
      },
      { sleep: async (ms) => void pauses.push(ms), random: () => 0.5, baseDelayMs: 100 },
    );
    assert.equal(answer, "sent");
    assert.equal(calls, 3);
    assert.deepEqual(pauses, [50, 100]);
  });

  it("a final error (a refusal) is not retried, and the attempts are bounded", async () => {
    let calls = 0;
    await assert.rejects(
      withRetries(
        async () => {
          calls++;
          throw callError("functions/resource-exhausted");
        },
        { sleep: async () => {} },
      ),
      /resource-exhausted/,
    );
    assert.equal(calls, 1);
    calls = 0;
    await assert.rejects(
      withRetries(
        async () => {
          calls++;
          throw callError("functions/unavailable");
        },
        { sleep: async () => {}, attempts: 4 },
      ),
      /unavailable/,
    );
    assert.equal(calls, 4);
    assert.equal(retryableCallError(new Error("plain")), false);
  });
});
