import { z } from "zod";
import { timestamp, updatedBy } from "./common";
import { SEVERITIES, type IncidentType } from "../longrun/incidentTypes";
import { templateToSend } from "../proxies/contract";

/**
 * Documents under `wa_metrics/longrun/`: the long-run monitoring the operators' runbook
 * describes. Defaults are the runbook's.
 */

export const alertThresholds = z.strictObject({
  missedHbPerHour: z.number().int().nonnegative().default(3),
  consecutiveProbeFails: z.number().int().positive().default(2),
  queueDepth: z.number().int().positive().default(100),
  reconnectsPerHour: z.number().int().nonnegative().default(5),
  coverageMin: z.number().min(0).max(1).default(0.8),
  outboxLagSeconds: z.number().int().positive().default(300),
  failedLast5m: z.number().int().nonnegative().default(10),
  /** An account not connected (for whatever cause) this long is an account_down incident. */
  accountDownMinutes: z.number().int().positive().default(5),
  /** ... and a P1 once it has been down this long. */
  accountDownP1Minutes: z.number().int().positive().default(30),
  /** Delivery rate (sent / (sent + failed)) over the last hour under this, with more than deliveryRateMinMessages finished. */
  deliveryRateMin: z.number().min(0).max(1).default(0.9),
  deliveryRateMinMessages: z.number().int().nonnegative().default(10),
  /** Failed sends in the last hour above this, per account and overall. */
  errorsPerHour: z.number().int().nonnegative().default(20),
  /** The daily rollup's probe pass rate under this (per probe type with results). */
  probePassRateMin: z.number().min(0).max(1).default(0.9),
  /** Incidents opened in a day above this. */
  incidentsPerDayMax: z.number().int().nonnegative().default(10),
});

const accountId = z.string().min(1).max(200).nullable().default(null);

/** Probe settings. An unset account makes that probe SKIPPED, never FAIL. */
export const probeSettings = z.object({
  outbound: z
    .object({
      /** Which of our accounts sends the probe, and to whom (a number the operators own). */
      accountId,
      toJid: z
        .string()
        .regex(/^\d{6,20}@s\.whatsapp\.net$/)
        .nullable()
        .default(null),
      deadlineSec: z.number().int().positive().default(120),
      /**
       * A Cloud API account's probe goes as this approved template: Meta takes free-form text only
       * within 24 h of the recipient's last message (131047), and a probe recipient rarely writes.
       */
      template: templateToSend.nullable().default(null),
    })
    .default(() => ({ accountId: null, toJid: null, deadlineSec: 120, template: null })),
  inbound: z
    .object({
      /** A second account of ours that messages the main account; PASS when the main one stores it. */
      senderAccountId: accountId,
      targetAccountId: accountId,
      deadlineSec: z.number().int().positive().default(300),
    })
    .default(() => ({ senderAccountId: null, targetAccountId: null, deadlineSec: 300 })),
  queue: z
    .object({
      maxQueued: z.number().int().nonnegative().default(100),
      maxOldestAgeSec: z.number().int().positive().default(300),
    })
    .default(() => ({ maxQueued: 100, maxOldestAgeSec: 300 })),
  /** A failed probe is tried once more this long after, before it counts as FAIL. */
  retryAfterSec: z.number().int().positive().default(300),
});
export type ProbeSettings = z.infer<typeof probeSettings>;

/** `config/current`: edited by operators in the console, read on every job run. */
export const monitoringConfig = z.strictObject({
  expectedAccounts: z.number().int().nonnegative().default(1),
  heartbeatIntervalSec: z.number().int().min(5).max(3600).default(60),
  driftSec: z.number().int().nonnegative().default(10),
  insufficientDataThreshold: z.number().min(0).max(1).default(0.8),
  alertThresholds: alertThresholds.default(() => alertThresholds.parse({})),
  /** An open incident is re-announced at most this often. */
  alertRepeatSec: z.number().int().min(60).default(3600),
  probes: probeSettings.default(() => probeSettings.parse({})),
  updatedAt: timestamp.optional(),
  createdAt: timestamp.optional(),
  createdBy: z.string().optional(),
  updatedBy: z.string().optional(),
});
export type MonitoringConfig = z.infer<typeof monitoringConfig>;
export const DEFAULT_MONITORING_CONFIG: MonitoringConfig = monitoringConfig.parse({});

/** `locks/{lockName}`: a lease that one holder renews; `epoch` fences stale holders. */
export const lockDocument = z.object({
  holder: z.string(),
  leaseUntilTs: timestamp,
  epoch: z.number().int().nonnegative(),
  acquiredAt: timestamp,
  renewedAt: timestamp,
  /** Set when the holder gave the lease up (expired at once, so the epoch keeps counting). */
  releasedAt: timestamp.optional(),
});
export type LockDocument = z.infer<typeof lockDocument>;

/** `heartbeats/{bucketId}`: one per interval bucket, created once. */
export const HEARTBEAT_TRIGGERS = ["schedule", "lock_claimed"] as const;
export type HeartbeatTrigger = (typeof HEARTBEAT_TRIGGERS)[number];

export const heartbeatDocument = z.object({
  bucketId: z.string(),
  tsIso: z.string(),
  ts: timestamp,
  serverTs: timestamp,
  commitHash: z.string(),
  serviceVersion: z.string(),
  instanceId: z.string(),
  uptimeSec: z.number().nonnegative(),
  memoryRssMb: z.number().nonnegative(),
  memoryHeapUsedMb: z.number().nonnegative(),
  connectedCount: z.number().int().nonnegative(),
  /** How late the beat fired after its bucket began, by the worker's clock. */
  driftSec: z.number(),
  intervalSec: z.number().int().positive(),
  /** Fencing epoch of the heartbeat lock the beat was written under. */
  lockEpoch: z.number().int().positive(),
  /** The first beat after a planned stop (SIGTERM) of the previous holder. */
  afterPlannedStop: z.boolean(),
  /**
   * What made the worker write it: the bucket's start (`schedule`), or claiming the lock
   * (`lock_claimed`: at start-up or on takeover, mid-bucket by design, so never counted as drift).
   * Absent on beats written before the field existed: those are scheduled ones.
   */
  trigger: z.enum(HEARTBEAT_TRIGGERS).optional(),
  expireAt: timestamp,
});
export type HeartbeatDocument = z.infer<typeof heartbeatDocument>;

export const PROBE_RESULTS = ["PASS", "FAIL", "SKIPPED", "PENDING"] as const;
export type ProbeResult = (typeof PROBE_RESULTS)[number];

/** `probes/{probeKey}`: PENDING until PASS / FAIL (after one retry), or SKIPPED when not configured. */
export const probeDocument = z.object({
  key: z.string(),
  type: z.enum(["OUT", "QUEUE", "IN"]),
  result: z.enum(PROBE_RESULTS),
  latencyMs: z.number().nonnegative().nullable(),
  reason: z.string().nullable(),
  attempt: z.number().int().positive(),
  startedAt: timestamp,
  attemptStartedAt: timestamp,
  retryAt: timestamp.nullable(),
  /** The outbox entry of the probe message (OUT, IN), and its WhatsApp id. */
  requestId: z.string().nullable(),
  providerMessageId: z.string().nullable(),
  targetAccountId: z.string().nullable(),
  deadlineSec: z.number().int().positive().nullable(),
  finishedAt: timestamp.optional(),
  /** `startedAt` as text, for operators reading the console. */
  startedIso: z.string(),
  expireAt: timestamp,
  updatedAt: timestamp,
  updatedBy,
});
export type ProbeDocument = z.infer<typeof probeDocument>;

/** `incidents/{incidentId}`: at most one open per (type, key). */
export const incidentDocument = z.object({
  type: z.custom<IncidentType>((value) => typeof value === "string" && value.length > 0, {
    message: "expected an incident type",
  }),
  key: z.string(),
  severity: z.enum(SEVERITIES),
  status: z.enum(["open", "resolved"]),
  reason: z.string(),
  tsStart: timestamp,
  /** `tsStart` and `tsEnd` as text, for operators reading the console. */
  tsStartIso: z.string(),
  tsDetected: timestamp,
  tsEnd: timestamp.nullable(),
  tsEndIso: z.string().optional(),
  mttrSec: z.number().nonnegative().nullable(),
  /** A missed heartbeat that followed a planned stop. */
  planned: z.boolean(),
  /** When Telegram was last told; null: not yet (muted, or delivery failed). */
  lastNotifiedAt: timestamp.nullable(),
  /** Announced (or to be announced) by a run that has not yet confirmed Telegram took it. */
  notifyPending: z.boolean(),
  /** Who said "I have it" (whatsappAdminAcknowledgeIncident, npm run incident -- ack), at which severity. */
  acknowledgement: z
    .object({ by: z.string(), owner: z.string(), at: timestamp, atIso: z.string(), severity: z.enum(SEVERITIES) })
    .nullable()
    .optional(),
  notifyCount: z.number().int().nonnegative(),
  expireAt: timestamp,
  updatedAt: timestamp,
  updatedBy,
});
export type IncidentDocument = z.infer<typeof incidentDocument>;

/**
 * `securityEvents/{autoId}`: a refused cross-tenant access (a callable's permission-denied on a
 * thread or account of another tenant). GO/NO-GO counts those not reviewed: any in the first hour
 * is NO-GO until an operator records its review (`npm run security -- review`). Ids and the
 * callable only, never message text or tokens.
 */
export const securityEventDocument = z.object({
  kind: z.literal("cross_tenant_refused"),
  callable: z.string(),
  uid: z.string().nullable(),
  accountId: z.string().nullable(),
  threadId: z.string().nullable(),
  reason: z.string(),
  at: timestamp,
  atIso: z.string(),
  expireAt: timestamp,
  /** Who looked at it, what they concluded, when; absent on events written before reviews. */
  review: z.object({ by: z.string(), note: z.string(), at: timestamp }).nullable().optional(),
  updatedBy,
});
export type SecurityEventDocument = z.infer<typeof securityEventDocument>;

/**
 * `unhandledStanzas/{kind}__{type}`: a stanza from WhatsApp that nothing in the gateway handles
 * (a notification type or a tag of tomorrow), as the workers saw it: its shape (tags and
 * attribute names, no content) and the accounts that received it. Written by each worker at its
 * first sighting per account; read by the watchdog (unhandled_stanza).
 */
export const unhandledStanzaDocument = z.object({
  kind: z.string(),
  type: z.string(),
  shape: z.string(),
  accountIds: z.array(z.string()),
  lastSeenAt: timestamp,
});
export type UnhandledStanzaDocument = z.infer<typeof unhandledStanzaDocument>;

/** `state/current`: written by the heartbeat holder; what the every-minute checks read instead of scanning. */
export const monitoringState = z.object({
  // The beat fields are absent until the first beat: a planned stop (or a duplicate) can come first.
  lastHeartbeatAt: timestamp.optional(),
  lastHeartbeatBucketId: z.string().optional(),
  lastHeartbeatInstanceId: z.string().optional(),
  heartbeatIntervalSec: z.number().int().positive().optional(),
  /** First beat of the current unbroken run (when heartbeats last resumed). */
  streakStartedAt: timestamp.optional(),
  firstHeartbeatAt: timestamp.optional(),
  plannedStopAt: timestamp.optional(),
  plannedStopBy: z.string().optional(),
  /** Beats refused by create() because their bucket was already written, and the last such bucket. */
  duplicateBeats: z.number().int().nonnegative().optional(),
  lastDuplicateBucketId: z.string().optional(),
  updatedAt: timestamp.optional(),
  updatedBy: updatedBy.optional(),
});
export type MonitoringState = z.infer<typeof monitoringState>;

/** `runs/{job}_{periodKey}` (e.g. `rollup_2025-12-30`): the last run of a job for a period, for audit. */
export const runDocument = z.object({
  job: z.string(),
  periodKey: z.string(),
  status: z.enum(["done", "failed"]),
  trigger: z.string(),
  startedAt: timestamp,
  finishedAt: timestamp,
  error: z.string().nullable(),
  updatedBy,
});
export type RunDocument = z.infer<typeof runDocument>;

const alertLine = z.discriminatedUnion("kind", [
  z.object({
    kind: z.enum(["open", "remind"]),
    type: incidentDocument.shape.type,
    key: z.string(),
    sinceMs: z.number(),
    reason: z.string(),
    severity: z.enum(SEVERITIES).optional(),
  }),
  z.object({
    kind: z.literal("resolve"),
    type: incidentDocument.shape.type,
    key: z.string(),
    sinceMs: z.number(),
    endMs: z.number(),
    downtimeSec: z.number(),
  }),
]);

/** `state/watchdog`: the watchdog's own memory, written only by the monitoring jobs. */
export const watchdogState = z.object({
  /** Per job, the schedule time of its last applied run: a repeated delivery of a run is a no-op. */
  lastRun: z.record(z.string(), z.number()).optional(),
  /** The last config that passed its schema: used while the operators' edit does not. */
  lastGoodConfig: z.unknown().optional(),
  /** Resolution notices a run claimed for sending and has not confirmed yet. */
  pendingNotices: z.array(z.object({ line: alertLine, claimedAtMs: z.number() })).optional(),
  /** Notices Telegram refused (muted, failed): sent with the next run's message. */
  deferredNotices: z.array(alertLine).optional(),
  /** Left by versions that sampled every account here; each run deletes it. */
  reconnectHistory: z.unknown().optional(),
  updatedAt: timestamp.optional(),
  updatedBy: updatedBy.optional(),
});
export type WatchdogState = z.infer<typeof watchdogState>;

const distribution = z.object({
  count: z.number(),
  meanSec: z.number().nullable(),
  medianSec: z.number().nullable(),
  p90Sec: z.number().nullable(),
});

/**
 * `rollups/{date}`: one day's figures (core/longrun/rollup.ts computes them), kept for good.
 * Only what readers use is spelled out; the rest of computeRollup's figures pass through.
 */
export const rollupDocument = z.looseObject({
  date: z.string(),
  complete: z.boolean(),
  heartbeat: z.looseObject({ coverage: z.number().nullable(), intervalSec: z.number() }),
  uptimePct: z.number().nullable(),
  maxGap: z.looseObject({ durationSec: z.number() }).nullable(),
  incidents: z.looseObject({ opened: z.number(), mttr: distribution }),
  insufficientData: z.boolean(),
  computedAt: timestamp,
  trigger: z.string(),
  updatedAt: timestamp,
  updatedBy,
});
export type RollupDocument = z.infer<typeof rollupDocument>;
