import type { MessageStatus } from "../documents/thread";

const RANK: Record<MessageStatus, number> = { queued: 0, sent: 1, delivered: 2, read: 3, failed: -1 };

/** Receipts and finishes only move a message forward (queued < sent < delivered < read); `failed` is final. */
export function advancesStatus(current: MessageStatus, next: MessageStatus): boolean {
  if (current === "failed") return false;
  if (next === "failed") return current === "queued";
  return RANK[next] > RANK[current];
}
