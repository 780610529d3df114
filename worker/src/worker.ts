import type { Server } from "node:http";
import { applicationDefault } from "firebase-admin/app";
import type { Firestore } from "firebase-admin/firestore";
import { AccountManager } from "./accounts/accountManager";
import { fleetStore } from "./accounts/fleetStore";
import { accountLeaseStore } from "./accounts/accountLeaseStore";
import { DormantAccounts } from "./accounts/dormantAccounts";
import { ServerClock } from "./serverClock";
import type { WorkerConfig } from "./config";
import { openFirestore } from "./firestore";
import { createHealthServer } from "./http/server";
import { inboundStore } from "./inbound/inboundStore";
import { mediaParts } from "./media/mediaParts";
import { firestoreSentMedia } from "./media/sentMedia";
import { RESEND_WINDOW_MS } from "./accounts/heldAccount";
import type { Logger } from "./logging/logger";
import { readOutboxFigures, sharedFigures, type OutboxFigures } from "./metrics/outboxFigures";
import { WorkerMetrics } from "./metrics/workerMetrics";
import { outboxStore } from "./outbox/outboxStore";
import { heartbeatLock } from "./longrun/heartbeatLock";
import { HEARTBEAT_LOCK, startHeartbeats, type Heartbeats } from "./longrun/heartbeats";
import { heartbeatStore } from "./longrun/heartbeatStore";
import { checkUntilReady, firestoreHint, firestoreReadiness } from "./readiness";
import { createShutdown, type ShutdownOutcome } from "./shutdown";
import { BaileysTransport } from "./transport/baileys/baileysTransport";
import { baileysSource } from "./transport/baileys/module";
import { firestoreUnhandledStanzaReports } from "./longrun/unhandledStanzaStore";
import { SimulatedWhatsApp } from "./transport/simulated";
import type { Transport } from "./transport/transport";
import { transportPerAccount } from "./transport/accountTransports";
import { CloudApiTransport } from "./transport/cloudApi/cloudApiTransport";
import { firestoreCloudEventFeed } from "./transport/cloudApi/cloudEventFeed";
import { GraphClient } from "./transport/cloudApi/graphClient";
import { firestoreTemplateCatalogue } from "./transport/cloudApi/templateCatalogue";
import { firestoreTokenRecord } from "./transport/cloudApi/tokenRecord";
import { secretManagerTokens } from "./transport/cloudApi/tokenSource";

export interface RunningWorker {
  readonly port: number;
  /** The address the HTTP server is bound to. */
  readonly address: string;
  readonly db: Firestore;
  readonly accounts: AccountManager;
  readonly metrics: WorkerMetrics;
  readonly heartbeats: Heartbeats | null;
  stop(reason: string): Promise<ShutdownOutcome>;
}

function listen(server: Server, port: number, host: string | undefined): Promise<{ port: number; address: string }> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const bound = server.address();
      resolve(
        typeof bound === "object" && bound ? { port: bound.port, address: bound.address } : { port, address: "" },
      );
    });
  });
}

function withoutReadTime(figures: OutboxFigures | null) {
  if (!figures) return {};
  const { readAtMs, ...rest } = figures;
  return { ...rest, outboxFiguresAgeSec: Math.round((Date.now() - readAtMs) / 1000) };
}

function makeTransport(config: WorkerConfig, logger: Logger): Transport {
  if (config.transport === "simulated") {
    return new SimulatedWhatsApp({
      autoLinkMs: config.simulated.autoLinkMs,
      recordFile: config.simulated.recordFile,
      inboundEveryMs: config.simulated.inboundEveryMs,
      inboundRecordFile: config.simulated.inboundRecordFile,
      deliveredReceiptMs: 500,
    });
  }
  return new BaileysTransport({ ...config.baileys, logger });
}

/**
 * Cloud API accounts' transport. Tokens are read with the worker's own identity; on the emulator
 * (tests, the local stack) Secret Manager is a fake on 127.0.0.1 that takes no credentials.
 */
function cloudApiTransport(config: WorkerConfig, db: Firestore, logger: Logger): CloudApiTransport {
  let identity: ReturnType<typeof applicationDefault> | undefined;
  const bearer = async () => {
    if (config.firestoreEmulatorHost) return null;
    identity ??= applicationDefault();
    return (await identity.getAccessToken()).access_token;
  };
  return new CloudApiTransport({
    // Inside the delivery engine's bound, so a lost answer is the transport's "maybe sent", not a hung socket.
    graph: new GraphClient({
      baseUrl: config.cloudApi.baseUrl,
      version: config.cloudApi.version,
      timeoutMs: Math.floor(config.sendTimeoutMs * 0.8),
    }),
    tokens: secretManagerTokens({
      apiRoot: config.cloudApi.secretManagerRoot,
      bearer,
      cacheMs: TOKEN_CACHE_MS,
    }),
    events: firestoreCloudEventFeed(db),
    catalogue: firestoreTemplateCatalogue(db),
    tokenRecord: firestoreTokenRecord(db, config.workerId),
    logger,
  });
}

/** How long a Cloud API token read from Secret Manager is used before it is read again. */
const TOKEN_CACHE_MS = 10 * 60_000;

/** How often a worker that cannot reach Firestore at start-up checks again (and logs a warning). */
const READINESS_RETRY_MS = 10_000;

/** Wires the worker's parts together and starts them; `stop` undoes it in reverse order. */
export async function startWorker(
  config: WorkerConfig,
  logger: Logger,
  deps: { transport?: Transport; firestore?: Firestore } = {},
): Promise<RunningWorker> {
  // A candidate Baileys (npm run check:baileys) is a test set-up: say so loudly at boot.
  const baileys = baileysSource();
  if (baileys.kind === "candidate")
    logger.warn({ dir: baileys.dir, version: baileys.version }, "baileys_candidate_loaded");
  if (baileys.kind === "ignored") logger.warn({ dir: baileys.dir, why: baileys.why }, "baileys_candidate_ignored");
  const startedAt = new Date();
  const db = deps.firestore ?? openFirestore(config.projectId, config.workerId);
  const transport = transportPerAccount(
    deps.transport ?? makeTransport(config, logger),
    cloudApiTransport(config, db, logger),
  );
  const hint = firestoreHint(config.firestoreEmulatorHost, config.projectId);
  let failedChecks = 0;
  const checkFirestore = firestoreReadiness(db, {
    onResult: (result) => {
      if (result.ok) {
        if (failedChecks > 0) logger.info({ latencyMs: result.latencyMs }, "firestore_ready");
        failedChecks = 0;
        return;
      }
      // A cold emulator or client can miss the first 2 s check on a healthy boot: warn once it fails again.
      const level = ++failedChecks > 1 ? "warn" : "info";
      logger[level]({ error: result.error.split("\n")[0], check: hint, failedChecks }, "firestore_not_ready");
    },
  });
  const figures = sharedFigures(readOutboxFigures(db));
  let heartbeats: Heartbeats | null = null; // started once the HTTP server listens
  let stopReadinessCheck = (): void => {};
  const metrics: WorkerMetrics = new WorkerMetrics(
    {
      connectedAccounts: (): number => accounts.connectedCount(),
      reachoutLockedAccounts: (): number => accounts.reachoutLockedCount(),
      inboundBacklog: (): number => accounts.inboundBacklog(),
      holdsHeartbeatLock: () => heartbeats?.holds() ?? false,
      outboxFigures: figures,
    },
    { version: config.serviceVersion, commit: config.commitHash },
  );

  const clock = new ServerClock();
  const accountLeases = accountLeaseStore(db, config.workerId, config.accountLeaseSec, clock);
  const outbox = outboxStore(db, config.workerId, config.outboxLeaseSec, config.retry, clock);
  const media = await mediaParts(config, db, logger);
  const accounts = new AccountManager({
    workerId: config.workerId,
    transport,
    clock,
    logger,
    metrics,
    leases: { store: accountLeases, maxAccounts: config.maxAccounts, leaseSec: config.accountLeaseSec },
    fleet: fleetStore(
      db,
      config.workerId,
      { leaseSec: config.accountLeaseSec, maxAccounts: config.maxAccounts },
      clock,
    ),
    reconnect: config.reconnect,
    unhandledStanzas: firestoreUnhandledStanzaReports(db, logger),
    delivery: {
      store: outbox,
      pacing: config.pacing,
      newContacts: config.newContacts,
      leaseSec: config.outboxLeaseSec,
      sendTimeoutMs: config.sendTimeoutMs,
      sweepMs: config.outboxSweepMs,
      sweepPage: config.outboxSweepPage,
      listener: config.outboxListener,
      media: media?.files ?? null,
    },
    files: {
      ...(media ? { media: media.downloads } : {}),
      sentMedia: firestoreSentMedia(db, RESEND_WINDOW_MS),
    },
    inbound: {
      store: inboundStore(db, {
        keywords: config.optOutKeywords,
        // No JIDs in the log: `npm run opt-out -- list` names the contacts.
        onOptOut: ({ kind, ...fields }) =>
          logger.info(fields, kind === "opt_out" ? "opt_out_recorded" : "opt_in_recorded"),
      }),
      capacity: config.inboundCapacity,
      stuckAfterMs: config.inboundStuckAfterMs,
    },
    dormant: {
      accounts: new DormantAccounts({
        accounts: accountLeases,
        outbox,
        clock,
        logger,
        loggedOutHoldMs: config.loggedOutHoldMs,
        ...(media ? { media: { deleteAccountFiles: media.deleteAccountFiles } } : {}),
        page: config.outboxSweepPage,
      }),
      sweepMs: config.dormantSweepMs,
    },
  });

  const shutdown = createShutdown({
    timeoutMs: config.shutdownTimeoutMs,
    logger,
    steps: () => [
      { name: "readiness_check", run: async () => stopReadinessCheck() },
      ...(heartbeats ? [{ name: "heartbeats", run: () => heartbeats!.stop() }] : []),
      { name: "accounts", run: () => accounts.stop() },
      { name: "http_server", run: () => new Promise<void>((resolve) => server.close(() => resolve())) },
      // Only the client this worker opened: one passed in belongs to the caller.
      ...(deps.firestore ? [] : [{ name: "firestore", run: () => db.terminate() }]),
    ],
  });

  const server: Server = createHealthServer(
    {
      workerId: config.workerId,
      startedAt,
      isShuttingDown: shutdown.isShuttingDown,
      checkFirestore,
      prometheus: () => metrics.registry,
      metrics: async () => {
        const memory = process.memoryUsage();
        const states = accounts.accountStates();
        return {
          transport: transport.name,
          activeAccounts: accounts.connectedCount(),
          inboundBacklog: accounts.inboundBacklog(),
          ...withoutReadTime(await figures()),
          ...metrics.snapshot(),
          accounts: states,
          memoryRssMb: Math.round(memory.rss / 2 ** 20),
          memoryHeapUsedMb: Math.round(memory.heapUsed / 2 ** 20),
        };
      },
    },
    logger,
  );
  // Keep-alive sockets from probes would hold close() open until the bound.
  server.keepAliveTimeout = 1000;
  const { port, address } = await listen(server, config.port, config.host);
  stopReadinessCheck = checkUntilReady(checkFirestore, READINESS_RETRY_MS);
  accounts.start();
  heartbeats = config.heartbeat
    ? startHeartbeats({
        store: heartbeatStore(db),
        lock: heartbeatLock(db, HEARTBEAT_LOCK, config.workerId, config.heartbeat.leaseSec),
        instanceId: config.workerId,
        logger,
        commitHash: config.commitHash,
        serviceVersion: config.serviceVersion,
        startedAt,
        connectedCount: () => accounts.connectedCount(),
        pollSec: config.heartbeat.pollSec,
      })
    : null;
  logger.info(
    {
      port,
      address,
      projectId: config.projectId,
      transport: transport.name,
      firestore: config.firestoreEmulatorHost ? `emulator ${config.firestoreEmulatorHost}` : "production",
      maxAccounts: config.maxAccounts,
      pacing: config.pacing ? `${config.pacing.perMinute}/min burst ${config.pacing.capacity}` : "off",
      commitHash: config.commitHash,
      serviceVersion: config.serviceVersion,
    },
    "worker_started",
  );
  return {
    port,
    address,
    db,
    accounts,
    metrics,
    heartbeats,
    stop: (reason) => {
      server.closeIdleConnections();
      return shutdown.trigger(reason);
    },
  };
}
