import type { Server } from "node:http";
import type { Firestore } from "firebase-admin/firestore";
import type { WorkerConfig } from "./config";
import { openFirestore } from "./firestore";
import { createHealthServer } from "./http/server";
import type { Logger } from "./logger";
import { firestoreReadiness } from "./readiness";
import { createShutdown, type ShutdownOutcome } from "./shutdown";

export interface RunningWorker {
  readonly port: number;
  readonly db: Firestore;
  stop(reason: string): Promise<ShutdownOutcome>;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
}

/** Wires the worker's parts together and starts them; `stop` undoes it in reverse order. */
export async function startWorker(config: WorkerConfig, logger: Logger): Promise<RunningWorker> {
  const startedAt = new Date();
  const db = openFirestore(config.projectId, config.workerId);
  const checkFirestore = firestoreReadiness(db);

  const shutdown = createShutdown({
    timeoutMs: config.shutdownTimeoutMs,
    logger,
    steps: () => [
      {
        name: "http_server",
        run: () => new Promise<void>((resolve) => server.close(() => resolve())),
      },
      { name: "firestore", run: () => db.terminate() },
    ],
  });

  const server: Server = createHealthServer(
    {
      workerId: config.workerId,
      startedAt,
      isShuttingDown: shutdown.isShuttingDown,
      checkFirestore,
      metrics: async () => {
        const memory = process.memoryUsage();
        return {
          transport: config.transport,
          memoryRssMb: Math.round(memory.rss / 2 ** 20),
          memoryHeapUsedMb: Math.round(memory.heapUsed / 2 ** 20),
        };
      },
    },
    logger,
  );
  // Keep-alive sockets from probes would hold close() open until the bound.
  server.keepAliveTimeout = 1000;
  const port = await listen(server, config.port);
  logger.info(
    {
      port,
      projectId: config.projectId,
      transport: config.transport,
      firestore: config.firestoreEmulatorHost ? `emulator ${config.firestoreEmulatorHost}` : "production",
      commitHash: config.commitHash,
      serviceVersion: config.serviceVersion,
    },
    "worker_started",
  );
  return {
    port,
    db,
    stop: (reason) => {
      server.closeIdleConnections();
      return shutdown.trigger(reason);
    },
  };
}
