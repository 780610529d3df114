import type { ProbeType } from "../ids";
import type { ProbeResult } from "../documents/longrun";
import type { OutboxStatus } from "../documents/outbox";
import type { AlertLine } from "./alertMessage";
import type { ConfigResolution } from "./config";
import type { Beat } from "./heartbeatMath";
import type { IncidentAction, OpenIncident } from "./incidents";
import type { IncidentRecord, ProbeRecord, Rollup } from "./rollup";
import type { AccountLiveness } from "./accountDown";
import type { CloudTokenExpiry } from "./cloudTokens";
import type { TemplateToSend } from "../proxies/contract";
import type { UnheldAccounts } from "./capacity";
import type { AccountCounts, HeartbeatState, OutboxView, UnhandledStanzaSighting, WatchedAccount } from "./watchdog";

/** What the monitoring jobs need from the outside world; Firestore implements it in functions/. */

/** `deferred`: resolution notices an earlier run could not deliver, taken over by this run. */
export type ApplyResult =
  { status: "applied"; actions: IncidentAction[]; deferred: AlertLine[] } | { status: "duplicate_run" };

/** The monitoring configuration (`config/current`). */
export interface ConfigSource {
  /** `config/current`, created with the defaults when missing; invalid → last good values. */
  loadConfig(): Promise<ConfigResolution>;
}

/** What the watchdog reads to evaluate the system. */
export interface WatchdogReads {
  heartbeatState(): Promise<HeartbeatState>;
  heartbeatCounts(nowMs: number): Promise<{ lastHour: number; last24h: number }>;
  outboxView(nowMs: number): Promise<OutboxView>;
  accountCounts(nowMs: number): Promise<AccountCounts>;
  /** Accounts logged out, disconnected within the hour, or named by an open account incident. */
  watchedAccounts(nowMs: number): Promise<WatchedAccount[]>;
  /**
   * Accounts not connected (a connected one whose lease ran out at least `unheldForMs` ago), and
   * those named by an open account_down: at most ACCOUNT_LIVENESS_PAGE of the first kind a run.
   */
  accountLiveness(nowMs: number, unheldForMs: number): Promise<AccountLiveness[]>;
  /** Accounts that need a socket and have had no worker for `unheldForMs` (absent: not judged). */
  unheldAccounts?(nowMs: number, unheldForMs: number): Promise<UnheldAccounts>;
  /**
   * Cloud API accounts whose token expires before `nowMs + withinMs`, and those named by an open
   * cloud_token_expiring (absent: not judged).
   */
  cloudTokens?(nowMs: number, withinMs: number): Promise<CloudTokenExpiry[]>;
  /** Stanza types nothing handles, as the workers reported them (absent: nothing to read). */
  unhandledStanzas?(): Promise<UnhandledStanzaSighting[]>;
}

/** Incidents and the bookkeeping of their notifications. */
export interface IncidentStore {
  /**
   * One transaction: refuses a run whose `run` was already applied (a scheduler firing twice),
   * reads the open incidents, writes what the job's `decide` makes of them (reconcileIncidents,
   * in core), and claims the notifications it will send (so a second run does not send them again).
   */
  applyIncidents(args: {
    nowMs: number;
    decide: (open: OpenIncident[]) => IncidentAction[];
    run?: { job: string; scheduleMs: number; lastGoodConfig?: unknown };
  }): Promise<ApplyResult>;
  /** A notification that could not be delivered is unclaimed, so the next run tries again. */
  unclaimNotifications(ids: string[]): Promise<void>;
  /** Resolution notices that could not be delivered; the next watchdog run sends them. */
  deferNotices(lines: AlertLine[]): Promise<void>;
  /** What Telegram accepted: never sent again, not even by a run that finds its claim stale. */
  confirmDelivered(args: { incidentIds: string[]; notices: AlertLine[] }): Promise<void>;
}

export interface ProbeDoc {
  key: string;
  type: ProbeType;
  result: ProbeResult;
  attempt: number;
  startedMs: number;
  attemptStartedMs: number;
  retryAtMs: number | null;
  requestId: string | null;
  providerMessageId: string | null;
  targetAccountId: string | null;
  deadlineSec: number | null;
}

export interface ProbeStore {
  /** create(): false when the probe of that key exists (a rerun of the same slot). */
  createProbe(doc: ProbeDoc & { reason: string | null; latencyMs: number | null; finished: boolean }): Promise<boolean>;
  updateProbe(
    key: string,
    fields: Partial<ProbeDoc> & {
      reason?: string | null;
      latencyMs?: number | null;
      finished?: boolean;
    },
  ): Promise<void>;
  pendingProbes(): Promise<ProbeDoc[]>;
  recentResults(type: ProbeType, limit: number): Promise<ProbeResult[]>;
  /** Queues a WhatsApp message through the outbox, as the probe's system caller: the text, or the template when given. */
  sendProbeMessage(args: {
    accountId: string;
    toJid: string;
    clientMessageId: string;
    text: string;
    /** A Cloud API account's OUT probe: the approved template it goes as (probes.outbound.template). */
    template?: TemplateToSend | null;
  }): Promise<{
    requestId: string;
    providerMessageId: string;
  }>;
  outboxEntry(
    requestId: string,
  ): Promise<{ status: OutboxStatus; sentMs: number | null; lastError: string | null } | undefined>;
  /** When the account stored the inbound message with that id, if it did. */
  inboundStoredMs(accountId: string, messageId: string): Promise<number | null>;
  accountJid(accountId: string): Promise<string | null>;
}

export interface RollupStore {
  beatsBetween(fromMs: number, toMs: number): Promise<Beat[]>;
  beatBefore(ms: number): Promise<Beat | undefined>;
  beatAtOrAfter(ms: number): Promise<Beat | undefined>;
  firstBeatMs(): Promise<number | null>;
  incidentsTouching(fromMs: number, toMs: number): Promise<IncidentRecord[]>;
  probesBetween(fromMs: number, toMs: number): Promise<ProbeRecord[]>;
  writeRollup(rollup: Rollup, meta: { computedAtMs: number; trigger: string }): Promise<void>;
  /** `runs/{job}_{periodKey}`: the audit trail of a job run, with its error when it failed. */
  recordRun(run: {
    job: string;
    periodKey: string;
    status: "done" | "failed";
    startedMs: number;
    trigger: string;
    error: string | null;
  }): Promise<void>;
}

/** Telegram, or nothing when it is not configured. */
export interface AlertChannel {
  readonly enabled: boolean;
  /**
   * Sends in order, within the channel's time budget; stops at the first message that fails or
   * does not fit. `delivered`: how many were accepted (a timed-out one may still arrive).
   */
  send(messages: string[]): Promise<{ delivered: number; error: string | null }>;
}

export interface JobLog {
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}
