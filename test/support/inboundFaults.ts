/**
 * Preloaded into a worker process (`--import`) by a test: while the file INBOUND_FAULT_SWITCH
 * exists, every batch commit that stores an inbound message (it creates an `inboundDedupe`
 * marker) fails with gRPC UNAVAILABLE, unapplied, as a Firestore outage would. Each injected fault
 * appends a line to INBOUND_FAULT_RECORD, so the test can wait for the faults instead of a time.
 */
import { appendFileSync, existsSync } from "node:fs";
import { WriteBatch, type DocumentReference } from "firebase-admin/firestore";

const switchFile = process.env.INBOUND_FAULT_SWITCH;
const record = process.env.INBOUND_FAULT_RECORD;
const inboundCommits = new WeakSet<WriteBatch>();

const create = WriteBatch.prototype.create as (this: WriteBatch, ...args: unknown[]) => WriteBatch;
WriteBatch.prototype.create = function (this: WriteBatch, ...args: unknown[]) {
  if ((args[0] as DocumentReference).parent.id === "inboundDedupe") inboundCommits.add(this);
  return create.apply(this, args);
} as typeof WriteBatch.prototype.create;

const commit = WriteBatch.prototype.commit;
WriteBatch.prototype.commit = function (this: WriteBatch) {
  if (inboundCommits.has(this) && switchFile && existsSync(switchFile)) {
    if (record) appendFileSync(record, "inbound_fault\n");
    return Promise.reject(Object.assign(new Error("14 UNAVAILABLE: injected fault"), { code: 14 }));
  }
  return commit.call(this);
};
