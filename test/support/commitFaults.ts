/**
 * Preloaded into worker processes by a test (`--import`): batch commits fail with gRPC
 * UNAVAILABLE, unapplied, as a Firestore outage past the SDK's own retries would.
 * - A commit that records a message `sent`: a share FINISH_FAULT_RATE (0..1) of them (chaos).
 * - A commit that stores an inbound message (it creates an `inboundDedupe` marker): every one
 *   while the file INBOUND_FAULT_SWITCH exists.
 * Each injected fault appends a line (`finish_fault`, `inbound_fault`) to FAULT_RECORD, so the
 * test can tell the faults happened and wait for them instead of a time.
 */
import { appendFileSync, existsSync } from "node:fs";
import { WriteBatch, type DocumentReference } from "firebase-admin/firestore";

type Fault = "finish_fault" | "inbound_fault";

const finishRate = Number(process.env.FINISH_FAULT_RATE ?? 0);
const inboundSwitch = process.env.INBOUND_FAULT_SWITCH;
const record = process.env.FAULT_RECORD;
const kindOf = new WeakMap<WriteBatch, Fault>();

const update = WriteBatch.prototype.update as (this: WriteBatch, ...args: unknown[]) => WriteBatch;
WriteBatch.prototype.update = function (this: WriteBatch, ...args: unknown[]) {
  if ((args[1] as { status?: unknown } | undefined)?.status === "sent") kindOf.set(this, "finish_fault");
  return update.apply(this, args);
} as typeof WriteBatch.prototype.update;

const create = WriteBatch.prototype.create as (this: WriteBatch, ...args: unknown[]) => WriteBatch;
WriteBatch.prototype.create = function (this: WriteBatch, ...args: unknown[]) {
  if ((args[0] as DocumentReference).parent.id === "inboundDedupe") kindOf.set(this, "inbound_fault");
  return create.apply(this, args);
} as typeof WriteBatch.prototype.create;

const failing: Record<Fault, () => boolean> = {
  finish_fault: () => Math.random() < finishRate,
  inbound_fault: () => !!inboundSwitch && existsSync(inboundSwitch),
};

const commit = WriteBatch.prototype.commit;
WriteBatch.prototype.commit = function (this: WriteBatch) {
  const kind = kindOf.get(this);
  if (kind && failing[kind]()) {
    if (record) appendFileSync(record, `${kind}\n`);
    return Promise.reject(Object.assign(new Error("14 UNAVAILABLE: injected fault"), { code: 14 }));
  }
  return commit.call(this);
};
