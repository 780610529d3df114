import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { type LeaseWrite } from "@wa-gateway/core";
import { DisconnectCode } from "@wa-gateway/core/accounts";
import { HELD_REASONS, type ClaimResult, type HeldReason } from "@wa-gateway/core/outbox";
import type { OutboxFigures } from "./outboxFigures";
import { RecentCount } from "./recentCount";

/** What the registry reads at scrape time from the rest of the worker. */
export interface MetricSources {
  connectedAccounts(): number;
  /** Inbound messages received and not yet stored. */
  inboundBacklog(): number;
  holdsHeartbeatLock(): boolean;
  /** Held accounts WhatsApp has under a reach-out timelock now. */
  reachoutLockedAccounts?(): number;
  outboxFigures(): Promise<OutboxFigures | null>;
}

/** Codes that get their own label value; any other is "other", so the label set stays bounded. */
const KNOWN_DISCONNECT_CODES = new Set<number>([...Object.values(DisconnectCode), 405, 516]);
const FIVE_MIN_MS = 5 * 60_000;
/** Distinct unhandled stanza types that get their own label (the label set stays bounded). */
const UNHANDLED_TYPES_LABELLED = 50;
/** Distinct unhandled stanza types whose first sighting is logged (memory stays bounded). */
const UNHANDLED_TYPES_REMEMBERED = 1000;

export type SendOutcome = "sent" | "fenced" | "retry_scheduled" | "failed";
export type OutboxClaimOutcome = "claimed" | "leased" | "not_due" | "final" | "missing";

/**
 * This worker's metrics: Prometheus families for `/metrics` (names and units by Prometheus
 * conventions, labels from closed sets only: never a message id, phone number or account id),
 * and the few figures `/metrics-json` has always shown. Memory is constant however many messages
 * go through.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  rawSends = 0;
  reconnectCount = 0;
  private readonly sentRecently = new RecentCount(FIVE_MIN_MS);
  private readonly failedRecently = new RecentCount(FIVE_MIN_MS);

  private readonly sends = new Counter({
    name: "wa_outbox_sends_total",
    help: "Outbox entries this worker tried to send, by outcome (sent, fenced: sent but the lease was lost before recording it, retry_scheduled, failed: final).",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  private readonly sendAttempts = new Counter({
    name: "wa_transport_send_calls_total",
    help: "Calls to the WhatsApp transport's send (each may reach the network).",
    registers: [this.registry],
  });
  private readonly sendSeconds = new Histogram({
    name: "wa_outbox_send_duration_seconds",
    help: "From the transport send call to the entry recorded sent.",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  private readonly claims = new Counter({
    name: "wa_outbox_claims_total",
    help: "Outbox claim attempts by result (claimed, gave_up, or why not: leased, not_due, final, missing).",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });
  private readonly takeovers = new Counter({
    name: "wa_lease_takeovers_total",
    help: "Leases this worker took over after another holder let them run out, by lease kind (account, outbox).",
    labelNames: ["lease"] as const,
    registers: [this.registry],
  });
  private readonly unhandled = new Counter({
    name: "wa_unhandled_stanzas_total",
    help: "Stanzas from WhatsApp that nothing handles, by kind (notification, ib, stanza) and type; the first 50 types get their own label, any later one is other.",
    labelNames: ["kind", "type"] as const,
    registers: [this.registry],
  });
  private readonly holds = new Counter({
    name: "wa_outbox_holds_total",
    help: "First messages to new contacts put to wait, by reason (new_contact_budget, reachout_timelock); the entry's heldReason and nextAttemptAt say until when.",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  private readonly firstContacts = new Counter({
    name: "wa_new_contact_sends_total",
    help: "First messages to new contacts this worker sent (each counts towards its account's new-contact budget).",
    registers: [this.registry],
  });
  private readonly unhandledTypes = new Set<string>();
  private readonly labelledTypes = new Set<string>();
  private readonly reconnects = new Counter({
    name: "wa_account_disconnects_total",
    help: "WhatsApp socket closes by disconnect code (Baileys' DisconnectReason; unknown codes as other).",
    labelNames: ["code"] as const,
    registers: [this.registry],
  });

  constructor(sources: MetricSources, info: { version: string; commit: string }) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: "wa_worker_info",
      help: "Always 1; the labels say which build runs.",
      labelNames: ["version", "commit"] as const,
      registers: [this.registry],
    }).set({ version: info.version, commit: info.commit }, 1);
    new Gauge({
      name: "wa_connected_accounts",
      help: "WhatsApp accounts with an open socket on this worker.",
      registers: [this.registry],
      collect() {
        this.set(sources.connectedAccounts());
      },
    });
    new Gauge({
      name: "wa_inbound_backlog",
      help: "Inbound messages received and not yet stored (retried until they are; sockets pause past INBOUND_BUFFER).",
      registers: [this.registry],
      collect() {
        this.set(sources.inboundBacklog());
      },
    });
    new Gauge({
      name: "wa_heartbeat_lock_holder",
      help: "1 while this worker holds the heartbeat-scheduler lock and writes the long-run heartbeats.",
      registers: [this.registry],
      collect() {
        this.set(sources.holdsHeartbeatLock() ? 1 : 0);
      },
    });
    // System-wide figures from Firestore count queries, shared and cached (see outboxFigures);
    // absent until first read, then the last figures read: *_timestamp_seconds says how old.
    // prom-client collects every family at once, so each of the three asks (one read serves all).
    new Gauge({
      name: "wa_outbox_entries",
      help: "Outbox entries system-wide by status (queued, processing), from Firestore counts.",
      labelNames: ["status"] as const,
      registers: [this.registry],
      async collect() {
        const figures = await sources.outboxFigures();
        if (!figures) return;
        this.set({ status: "queued" }, figures.queuedCount);
        this.set({ status: "processing" }, figures.processingCount);
      },
    });
    new Gauge({
      name: "wa_outbox_lag_seconds",
      help: "Age of the oldest queued outbox entry system-wide (0: none queued).",
      registers: [this.registry],
      async collect() {
        const figures = await sources.outboxFigures();
        if (figures) this.set(figures.outboxLagSeconds);
      },
    });
    new Gauge({
      name: "wa_outbox_figures_timestamp_seconds",
      help: "When the outbox figures were last read from Firestore (unix time; 0: never).",
      registers: [this.registry],
      async collect() {
        const figures = await sources.outboxFigures();
        this.set(figures ? figures.readAtMs / 1000 : 0);
      },
    });
    new Gauge({
      name: "wa_accounts_reachout_locked",
      help: "Accounts held by this worker that WhatsApp has under a reach-out timelock (no new chats; /metrics-json and the account document say until when).",
      registers: [this.registry],
      collect() {
        this.set(sources.reachoutLockedAccounts?.() ?? 0);
      },
    });
    for (const outcome of ["sent", "fenced", "retry_scheduled", "failed"] as const) this.sends.inc({ outcome }, 0);
    for (const reason of HELD_REASONS) this.holds.inc({ reason }, 0);
  }

  claimed(result: ClaimResult<unknown>): void {
    this.claims.inc({ result: result.kind === "held" ? result.why : result.kind });
    if (result.kind === "claimed" && result.takeover) this.takeovers.inc({ lease: "outbox" });
  }

  held(reason: HeldReason): void {
    this.holds.inc({ reason });
  }

  firstContactSent(): void {
    this.firstContacts.inc();
  }

  accountClaimed(takeover: boolean): void {
    if (takeover) this.takeovers.inc({ lease: "account" });
  }

  sendCalled(): void {
    this.rawSends++;
    this.sendAttempts.inc();
  }

  sendFinished(result: LeaseWrite, latencyMs: number): void {
    if (result !== "written") {
      this.sends.inc({ outcome: "fenced" });
      return;
    }
    this.sends.inc({ outcome: "sent" });
    this.sendSeconds.observe(latencyMs / 1000);
    this.sentRecently.add();
  }

  sendFailed(final: boolean): void {
    this.sends.inc({ outcome: final ? "failed" : "retry_scheduled" });
    if (final) this.failedRecently.add();
  }

  /** A stanza nothing handles; true the first time this worker sees its kind and type. */
  unhandledStanza(kind: string, type: string): boolean {
    const key = `${kind}:${type}`;
    const first = !this.unhandledTypes.has(key) && this.unhandledTypes.size < UNHANDLED_TYPES_REMEMBERED;
    if (first) this.unhandledTypes.add(key);
    if (first && this.labelledTypes.size < UNHANDLED_TYPES_LABELLED) this.labelledTypes.add(key);
    this.unhandled.inc({ kind, type: this.labelledTypes.has(key) ? type : "other" });
    return first;
  }

  disconnected(code: number | undefined): void {
    this.reconnectCount++;
    this.reconnects.inc({
      code: code === undefined ? "none" : KNOWN_DISCONNECT_CODES.has(code) ? String(code) : "other",
    });
  }

  /** The figures `/metrics-json` has always shown for this worker. */
  snapshot() {
    return {
      sentLast5mByThisWorker: this.sentRecently.total(),
      failedLast5mByThisWorker: this.failedRecently.total(),
      rawSends: this.rawSends,
      reconnectCount: this.reconnectCount,
    };
  }
}
