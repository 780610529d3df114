import { EventEmitter } from "node:events";
import { Writable } from "node:stream";
import type { ReconnectPolicy } from "@wa-gateway/core/accounts";
import type { NewContactPolicy, RetryPolicy } from "@wa-gateway/core/outbox";
import { AccountManager } from "../../worker/src/accounts/accountManager";
import type { AccountLeaseStore } from "../../worker/src/accounts/accountLeaseStore";
import { DormantAccounts } from "../../worker/src/accounts/dormantAccounts";
import type { InboundStore } from "../../worker/src/inbound/inboundStore";
import { createLogger, type Logger } from "../../worker/src/logging/logger";
import { WorkerMetrics } from "../../worker/src/metrics/workerMetrics";
import { SimulatedWhatsApp } from "../../worker/src/transport/simulated";
import { memoryAccountLeaseStore } from "./memoryStores/memoryAccountLeaseStore";
import { memoryFleetStore } from "./memoryStores/memoryFleetStore";
import { memoryInboundStore } from "./memoryStores/memoryInboundStore";
import { memoryOutboxStore } from "./memoryStores/memoryOutboxStore";
import { memoryWorld } from "./memoryStores/memoryWorld";

export type LogLine = Record<string, unknown> & { message: string };

/** A logger whose lines a test can read, and wait for by event name (no sleeping). */
export function watchedLogger(workerId: string): {
  logger: Logger;
  lines: LogLine[];
  next(event: string, match?: (l: LogLine) => boolean): Promise<LogLine>;
} {
  const lines: LogLine[] = [];
  const heard = new EventEmitter();
  heard.setMaxListeners(0);
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const text of chunk.toString().split("\n").filter(Boolean)) {
        const line = JSON.parse(text) as LogLine;
        lines.push(line);
        heard.emit("line", line);
      }
      done();
    },
  });
  const logger = createLogger({ level: "debug", workerId }, sink);
  return {
    logger,
    lines,
    /** The first line with this event name (already written, or the next one), matching `match`. */
    next(event, match = () => true) {
      const found = lines.find((l) => l.message === event && match(l));
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          heard.off("line", onLine);
          reject(new Error(`timed out waiting for the log event ${event}`));
        }, 5_000);
        const onLine = (line: LogLine) => {
          if (line.message !== event || !match(line)) return;
          clearTimeout(timer);
          heard.off("line", onLine);
          resolve(line);
        };
        heard.on("line", onLine);
      });
    },
  };
}

export const FAST_RECONNECT: ReconnectPolicy = { baseMs: 5, maxMs: 20, perHour: 50, cooldownMs: 60_000 };
export const FAST_RETRY: RetryPolicy = { maxAttempts: 5, baseMs: 50, maxMs: 100 };

export interface MemoryWorkerOptions {
  workerId?: string;
  maxAccounts?: number;
  leaseSec?: number;
  reconnect?: ReconnectPolicy;
  /** Wraps the account lease store the manager is given (to count or fail calls). */
  leases?: (store: AccountLeaseStore) => AccountLeaseStore;
  /** The new-contact budget (default: none). */
  newContacts?: NewContactPolicy;
  /** The inbound queue's capacity (100) and a wrapper of its store (to hold writes back). */
  inbound?: { capacity?: number; store?: (store: InboundStore) => InboundStore };
}

/**
 * The fast tier's worker: an AccountManager (and everything it builds) over the in-memory stores
 * and the simulated WhatsApp, no emulator. A new world before each test, every manager stopped
 * after it. `world.db()` is the database (its clock drives leases and retries), `network()` the
 * simulated WhatsApp.
 */
export function memoryWorkersPerTest() {
  const world = memoryWorld();
  let network = new SimulatedWhatsApp({ deliveredReceiptMs: null });
  const running: AccountManager[] = [];
  beforeEach(async () => {
    await world.reset();
    network = new SimulatedWhatsApp({ deliveredReceiptMs: null });
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((m) => m.stop()));
  });

  async function start(o: MemoryWorkerOptions = {}) {
    const db = world.db();
    const workerId = o.workerId ?? "w1";
    const leaseSec = o.leaseSec ?? 30;
    const { logger, lines, next } = watchedLogger(workerId);
    const leases = (o.leases ?? ((s) => s))(memoryAccountLeaseStore(db, workerId, leaseSec));
    const outbox = memoryOutboxStore(db, workerId, 60, FAST_RETRY);
    const metrics = new WorkerMetrics(
      {
        connectedAccounts: () => manager.connectedCount(),
        inboundBacklog: () => manager.inboundBacklog(),
        holdsHeartbeatLock: () => false,
        outboxFigures: async () => null,
      },
      { version: "test", commit: "test" },
    );
    const manager: AccountManager = new AccountManager({
      workerId,
      transport: network,
      clock: db.clock,
      logger,
      metrics,
      leases: { store: leases, maxAccounts: o.maxAccounts ?? 10, leaseSec },
      fleet: memoryFleetStore(db, workerId, { leaseSec, maxAccounts: o.maxAccounts ?? 10 }),
      reconnect: o.reconnect ?? FAST_RECONNECT,
      delivery: {
        store: outbox,
        media: null,
        pacing: null,
        newContacts: o.newContacts ?? null,
        leaseSec: 60,
        sendTimeoutMs: 2_000,
        sweepMs: 1_000,
        sweepPage: 50,
        listener: true,
      },
      inbound: {
        store: (o.inbound?.store ?? ((store) => store))(memoryInboundStore(db)),
        capacity: o.inbound?.capacity ?? 100,
        stuckAfterMs: 60_000,
      },
      dormant: {
        accounts: new DormantAccounts({
          accounts: leases,
          outbox,
          clock: db.clock,
          logger,
          loggedOutHoldMs: 3_600_000,
          page: 50,
        }),
        sweepMs: 60_000,
      },
    });
    manager.start();
    running.push(manager);
    await manager.listening();
    return { manager, logs: lines, next, workerId };
  }

  return {
    world,
    network: () => network,
    start,
    /** The manager stopped by the test itself. */
    stopped(manager: AccountManager) {
      running.splice(running.indexOf(manager), 1);
    },
  };
}
