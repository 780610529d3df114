import type { ReconnectPolicy } from "@wa-gateway/core/accounts";
import type { InboundBackpressure } from "../inbound/inboundBackpressure";
import type { Logger } from "../logging/logger";
import type { UnhandledStanzaReports } from "../longrun/unhandledStanzaStore";
import type { InboundDownloads } from "../media/inboundDownloads";
import type { SentMediaStore } from "../media/sentMedia";
import type { WorkerMetrics } from "../metrics/workerMetrics";
import type { DeliverySettings } from "../outbox/accountDelivery";
import type { OutboxWatcher } from "../outbox/outboxWatcher";
import type { ServerClock } from "../serverClock";
import type { Transport } from "../transport/transport";
import type { AccountLeaseStore } from "./accountLeaseStore";
import type { HeldAccount } from "./heldAccount";

/** What every held account shares with its manager: the worker's parts, passed in once. */
export interface HeldAccountContext {
  transport: Transport;
  /** Firestore's clock: when closes happened and cool-downs end is judged on it. */
  clock: ServerClock;
  accounts: AccountLeaseStore;
  logger: Logger;
  metrics: WorkerMetrics;
  reconnect: ReconnectPolicy;
  delivery: DeliverySettings;
  watcher: OutboxWatcher;
  /** Where received messages and receipts go (the inbound backpressure). */
  inbound: Pick<InboundBackpressure, "push" | "stored" | "receipt">;
  /** Stanzas nothing handles, reported for the watchdog (absent: counted and logged only). */
  unhandledStanzas?: UnhandledStanzaReports;
  /** Sent files' whole messages, for a contact's phone that asks for one again (absent: caption only). */
  sentMedia?: SentMediaStore;
  /** Inbound files, fetched while the socket is open (absent: left pending). */
  media?: Pick<InboundDownloads, "resume" | "pause" | "kick">;
  /** Inbound backpressure holds every socket closed; the manager reconnects on resume. */
  paused(): boolean;
  /** The worker is shutting down: sockets write nothing more. */
  stopping(): boolean;
  /** This account let go of its lease (dropped, retired or stopped): forget it. */
  ended(account: HeldAccount): void;
}
