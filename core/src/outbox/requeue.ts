import { z } from "zod";
import { PERMANENT_FAILURES, type FailureKind } from "../documents/outbox";

/**
 * Requeue (the operations runbook's "reset failed messages for a retry"): `failed` outbox entries
 * go back to `queued` under their same providerMessageId, so WhatsApp dedupes one that did go
 * out. An entry refused for a permanent reason (see FailureKind) stays failed unless the
 * operator says `includePermanent`.
 */

export const requeueRequest = z.strictObject({
  /** Entries that failed within the last this many minutes. */
  sinceMinutes: z
    .number()
    .int()
    .positive()
    .max(30 * 24 * 60),
  accountId: z.string().min(1).max(200).optional(),
  dryRun: z.boolean().default(false),
  includePermanent: z.boolean().default(false),
});
export type RequeueRequest = z.infer<typeof requeueRequest>;

export interface FailedEntry {
  requestId: string;
  accountId: string;
  threadId: string;
  providerMessageId: string;
  failureKind: FailureKind | null;
  lastError: string | null;
  failedMs: number;
}

/** What requeue did (or, dry, would do) to one entry. */
export type RequeueOutcome = "requeued" | "would_requeue" | "skipped_permanent" | "no_longer_failed";

export interface RequeueStore {
  /** Failed entries whose failure was recorded at or after `sinceMs`, oldest first. */
  failedSince(sinceMs: number, accountId?: string): Promise<FailedEntry[]>;
  /** In one transaction: still failed (and allowed) → queued, attempts 0, its thread message queued. */
  requeue(requestId: string, args: { by: string; nowMs: number; includePermanent: boolean }): Promise<RequeueOutcome>;
}

export const isPermanent = (e: Pick<FailedEntry, "failureKind">) =>
  e.failureKind !== null && PERMANENT_FAILURES.has(e.failureKind);

/** `1h`, `30m`, `2d` → minutes; undefined when it is not one of those. */
export function parseSince(text: string): number | undefined {
  const m = /^(\d+)([mhd])$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * { m: 1, h: 60, d: 1440 }[m[2] as "m" | "h" | "d"];
}

export async function requeueFailed(
  store: RequeueStore,
  req: RequeueRequest,
  by: string,
  nowMs: number,
): Promise<{ entries: (FailedEntry & { outcome: RequeueOutcome })[] }> {
  const failed = await store.failedSince(nowMs - req.sinceMinutes * 60_000, req.accountId);
  const entries: (FailedEntry & { outcome: RequeueOutcome })[] = [];
  for (const e of failed) {
    const outcome: RequeueOutcome =
      isPermanent(e) && !req.includePermanent
        ? "skipped_permanent"
        : req.dryRun
          ? "would_requeue"
          : await store.requeue(e.requestId, { by, nowMs, includePermanent: req.includePermanent });
    entries.push({ ...e, outcome });
  }
  return { entries };
}
