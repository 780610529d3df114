import type { MonitoringConfig } from "../documents/longrun";
import type { AccountStatus } from "../documents/account";
import { formatDuration } from "./alertMessage";
import { GLOBAL_KEY, type Evaluation } from "./incidents";

/** The every-minute checks, as pure functions of what the watchdog read. */

export interface HeartbeatState {
  lastHeartbeatMs: number | null;
  lastInstanceId: string | null;
  /** First beat of the current unbroken run: when heartbeats resumed after a gap. */
  streakStartedMs: number | null;
  firstHeartbeatMs: number | null;
  plannedStopMs: number | null;
}

/** System-wide account figures, from count aggregations: the cost does not grow with the accounts. */
export interface AccountCounts {
  /** Every account document, removed ones too: 0 means the deployment never had an account. */
  ever: number;
  /** Accounts not removed. */
  live: number;
  /** Connected, with a live lease: a worker really holds a socket for it. */
  connected: number;
}

/**
 * An account the watchdog looks at one by one: logged out, disconnected within the hour, with
 * inbound messages its worker cannot store, or named by an open account incident (so that incident can resolve). Healthy accounts cost nothing.
 */
export interface WatchedAccount {
  id: string;
  status: AccountStatus;
  /** When its socket closed, from the account document's `recentDisconnects` (ms). */
  recentDisconnectsMs: number[];
  /** Since when its holder has failed to store its inbound messages (`inboundStuckSince`), or null. */
  inboundStuckSinceMs: number | null;
  /** The code of its last socket close (`lastDisconnect.code`), if any. */
  lastDisconnectCode?: number | null;
  /** WhatsApp's reach-out timelock as its holder last read it (`untilMs` null: no end given), or null. */
  reachoutLock?: { untilMs: number | null; enforcement: string } | null;
}

/** Close codes WhatsApp gives a client whose version it no longer accepts (stale `WA_VERSION`). */
export const CLIENT_VERSION_REJECTED_CODES: ReadonlySet<number> = new Set([405, 516]);

export interface OutboxView {
  queuedCount: number;
  oldestQueuedAgeSec: number;
  failedLast5m: number;
}

const HOUR_MS = 3_600_000;

/** A stanza type nothing handles, as the workers reported it (`unhandledStanzas/{kind}__{type}`). */
export interface UnhandledStanzaSighting {
  kind: string;
  type: string;
  shape: string;
  /** How many accounts received it. */
  accounts: number;
  lastSeenMs: number;
}

/** One account may have a client of its own quirks; several accounts are WhatsApp changing. */
export const UNHANDLED_STANZA_ACCOUNTS = 2;
/** A type not seen for this long resolves its incident. */
const UNHANDLED_STANZA_QUIET_MS = 24 * HOUR_MS;

export function evaluateUnhandledStanzas(sightings: UnhandledStanzaSighting[], nowMs: number): Evaluation[] {
  return sightings.map((s) => {
    const recent = nowMs - s.lastSeenMs < UNHANDLED_STANZA_QUIET_MS;
    return {
      type: "unhandled_stanza",
      key: `${s.kind}:${s.type}`,
      active: recent && s.accounts >= UNHANDLED_STANZA_ACCOUNTS,
      reason: recent
        ? `${s.accounts} accounts received ${s.kind} ${s.type}, which nothing handles; its shape: ${s.shape}`
        : `${s.kind} ${s.type} not seen for ${formatDuration((nowMs - s.lastSeenMs) / 1000)}`,
    };
  });
}

/**
 * Heartbeats are missing once the last is older than two intervals less the drift allowance
 * (110 s by default): a watchdog firing on the minute then sees the second missed beat, not the
 * third. A lock handover (at most interval + lease + poll = 100 s by default) stays under it.
 */
export function missedHeartbeatThresholdSec(
  config: Pick<MonitoringConfig, "heartbeatIntervalSec" | "driftSec">,
): number {
  const interval = config.heartbeatIntervalSec;
  return 2 * interval - Math.min(config.driftSec, interval / 2);
}

export function evaluateHeartbeats(
  state: HeartbeatState,
  counts: { lastHour: number; last24h: number },
  config: MonitoringConfig,
  nowMs: number,
): Evaluation[] {
  if (state.lastHeartbeatMs === null || state.firstHeartbeatMs === null) return [];
  const intervalMs = config.heartbeatIntervalSec * 1000;
  const silentSec = (nowMs - state.lastHeartbeatMs) / 1000;
  const missing = silentSec > missedHeartbeatThresholdSec(config);
  const planned = state.plannedStopMs !== null && state.plannedStopMs >= state.lastHeartbeatMs;
  const out: Evaluation[] = [
    {
      type: "missed_heartbeat",
      key: GLOBAL_KEY,
      active: missing,
      atMs: missing ? state.lastHeartbeatMs : (state.streakStartedMs ?? state.lastHeartbeatMs),
      planned,
      reason: missing
        ? `No heartbeat for ${formatDuration(silentSec)}; the last came from ${state.lastInstanceId ?? "unknown"}` +
          (planned ? " and it was stopped on purpose (SIGTERM), but no worker has taken over" : "")
        : "heartbeats resumed",
    },
  ];

  // The windows start no earlier than the first beat ever, so a new install is not "missing" an hour.
  const window = (ms: number) => Math.min(ms, nowMs - state.firstHeartbeatMs!);
  const hourMs = window(HOUR_MS);
  if (hourMs >= 10 * intervalMs) {
    const expected = Math.floor(hourMs / intervalMs);
    const missed = Math.max(0, expected - counts.lastHour);
    out.push({
      type: "heartbeat_gaps",
      key: GLOBAL_KEY,
      active: missed > config.alertThresholds.missedHbPerHour,
      reason: `${missed} of ${expected} heartbeats missed in the last ${formatDuration(hourMs / 1000)} (threshold ${config.alertThresholds.missedHbPerHour})`,
    });
  }
  const dayMs = window(24 * HOUR_MS);
  if (dayMs >= HOUR_MS) {
    const expected = Math.floor(dayMs / intervalMs);
    const coverage = Math.min(1, counts.last24h / expected);
    out.push({
      type: "low_coverage",
      key: GLOBAL_KEY,
      active: coverage < config.alertThresholds.coverageMin,
      reason: `heartbeat coverage ${(coverage * 100).toFixed(1)} % over the last ${formatDuration(dayMs / 1000)} (minimum ${(config.alertThresholds.coverageMin * 100).toFixed(0)} %)`,
    });
  }
  return out;
}

export function evaluateOutbox(outbox: OutboxView, config: MonitoringConfig): Evaluation[] {
  const t = config.alertThresholds;
  return [
    {
      type: "queue_depth",
      key: GLOBAL_KEY,
      active: outbox.queuedCount > t.queueDepth,
      reason: `${outbox.queuedCount} messages queued (threshold ${t.queueDepth})`,
    },
    {
      type: "outbox_lag",
      key: GLOBAL_KEY,
      active: outbox.oldestQueuedAgeSec > t.outboxLagSeconds,
      reason: `oldest queued message waiting ${formatDuration(outbox.oldestQueuedAgeSec)} (threshold ${formatDuration(t.outboxLagSeconds)})`,
    },
    {
      type: "failed_sends",
      key: GLOBAL_KEY,
      active: outbox.failedLast5m > t.failedLast5m,
      reason: `${outbox.failedLast5m} sends failed in the last 5 minutes (threshold ${t.failedLast5m})`,
    },
  ];
}

export function evaluateAccounts(
  counts: AccountCounts,
  watched: WatchedAccount[],
  config: MonitoringConfig,
  nowMs: number,
): Evaluation[] {
  const out: Evaluation[] = [];
  // A deployment that never had an account is insufficient data, not an outage; one whose
  // accounts were all removed or went down still alerts (expectedAccounts, default 1). Judged
  // every run, so an incident left open when neither holds any more resolves.
  const judged = counts.ever > 0 && (counts.live > 0 || config.expectedAccounts > 0);
  out.push({
    type: "no_active_account",
    key: GLOBAL_KEY,
    active: judged && counts.connected === 0,
    reason: judged
      ? `${counts.connected} of ${counts.live} accounts connected (expected ${config.expectedAccounts})`
      : `no account ${counts.ever === 0 ? "was ever added" : "is expected"}: insufficient data`,
  });
  // One incident for the deployment: the version is the worker's, not an account's.
  const rejected = watched.filter(
    (a) =>
      a.status !== "connected" &&
      a.status !== "removed" &&
      CLIENT_VERSION_REJECTED_CODES.has(a.lastDisconnectCode ?? 0),
  );
  out.push({
    type: "client_version_rejected",
    key: GLOBAL_KEY,
    active: rejected.length > 0,
    reason:
      rejected.length > 0
        ? `${rejected.length} accounts closed by WhatsApp with ${[...new Set(rejected.map((a) => a.lastDisconnectCode))].join(", ")} (client version rejected): ${rejected
            .slice(0, 5)
            .map((a) => a.id)
            .join(", ")}`
        : "no account is closed with 405 or 516",
  });
  for (const a of watched) {
    out.push({
      type: "logged_out",
      key: a.id,
      active: a.status === "logged_out",
      reason: `account ${a.id} was logged out by WhatsApp (401); its session is gone`,
    });
    out.push({
      type: "inbound_backlog",
      key: a.id,
      active: a.inboundStuckSinceMs !== null,
      ...(a.inboundStuckSinceMs !== null ? { atMs: a.inboundStuckSinceMs } : {}),
      reason:
        a.inboundStuckSinceMs !== null
          ? `inbound messages for account ${a.id} have failed to store for ${formatDuration((nowMs - a.inboundStuckSinceMs) / 1000)}`
          : `inbound messages for account ${a.id} are stored again`,
    });
    out.push(evaluateReachoutLock(a, nowMs));
    const reconnects =
      a.status === "removed" ? 0 : a.recentDisconnectsMs.filter((at) => at > nowMs - HOUR_MS && at <= nowMs).length;
    out.push({
      type: "reconnect_loop",
      key: a.id,
      active: reconnects > config.alertThresholds.reconnectsPerHour,
      reason: `account ${a.id} reconnected ${reconnects} times in the last hour (threshold ${config.alertThresholds.reconnectsPerHour}); status ${a.status}`,
    });
  }
  return out;
}

/** Open while WhatsApp's timelock holds the account (a removed account's resolves); resolves at its end. */
function evaluateReachoutLock(a: WatchedAccount, nowMs: number): Evaluation {
  const lock = a.status === "removed" ? null : (a.reachoutLock ?? null);
  const active = lock !== null && (lock.untilMs === null || lock.untilMs > nowMs);
  const until = lock?.untilMs ? new Date(lock.untilMs).toISOString() : "WhatsApp gave no end";
  return {
    type: "reachout_timelock",
    key: a.id,
    active,
    reason: active
      ? `account ${a.id} may not start new chats until ${until} (WhatsApp reach-out timelock, ${lock.enforcement}); its first messages wait in the outbox, replies still go`
      : `account ${a.id} may start new chats again`,
  };
}
