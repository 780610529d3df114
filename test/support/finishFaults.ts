/**
 * Preloaded into worker processes by the chaos suite (`--import`): a share of the batch commits
 * that record a message `sent` fail with gRPC UNAVAILABLE, unapplied, as an outage past the SDK's
 * own retries would. FINISH_FAULT_RATE (0..1) sets the share; each injected fault appends a line
 * to FINISH_FAULT_RECORD, so the suite can tell the faults really happened.
 */
import { appendFileSync } from "node:fs";
import { WriteBatch } from "firebase-admin/firestore";

const rate = Number(process.env.FINISH_FAULT_RATE ?? 0);
const record = process.env.FINISH_FAULT_RECORD;
const finishes = new WeakSet<WriteBatch>();

const update = WriteBatch.prototype.update as (this: WriteBatch, ...args: unknown[]) => WriteBatch;
WriteBatch.prototype.update = function (this: WriteBatch, ...args: unknown[]) {
  if ((args[1] as { status?: unknown } | undefined)?.status === "sent") finishes.add(this);
  return update.apply(this, args);
} as typeof WriteBatch.prototype.update;

const commit = WriteBatch.prototype.commit;
WriteBatch.prototype.commit = function (this: WriteBatch) {
  if (finishes.has(this) && Math.random() < rate) {
    if (record) appendFileSync(record, "finish_fault\n");
    return Promise.reject(Object.assign(new Error("14 UNAVAILABLE: injected fault"), { code: 14 }));
  }
  return commit.call(this);
};
