import { createServer, type Server, type ServerResponse } from "node:http";
import type { Registry } from "prom-client";
import type { Logger } from "../logging/logger";
import type { FirestoreCheck } from "../readiness";

export interface HealthSources {
  workerId: string;
  startedAt: Date;
  isShuttingDown(): boolean;
  checkFirestore(): Promise<FirestoreCheck>;
  metrics(): Promise<Record<string, unknown>>;
  prometheus(): Registry;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(text);
}

/** `/healthz` (alive), `/readyz` (Firestore answers, not stopping), `/metrics` (Prometheus), `/metrics-json`. */
export function createHealthServer(sources: HealthSources, logger: Logger): Server {
  return createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") return json(res, 405, { error: "method not allowed" });
    const handle = async () => {
      switch (path) {
        case "/healthz":
          return json(res, 200, { status: "ok", timestamp: new Date().toISOString(), workerId: sources.workerId });
        case "/readyz": {
          const shuttingDown = sources.isShuttingDown();
          const firestore = await sources.checkFirestore();
          const ready = firestore.ok && !shuttingDown;
          return json(res, ready ? 200 : 503, {
            status: ready ? "ready" : "not_ready",
            checks: { firestore, shuttingDown },
            workerId: sources.workerId,
          });
        }
        case "/metrics": {
          const registry = sources.prometheus();
          const text = await registry.metrics();
          res.writeHead(200, { "content-type": registry.contentType, "cache-control": "no-store" });
          return res.end(text);
        }
        case "/metrics-json":
          return json(res, 200, {
            workerId: sources.workerId,
            uptimeSec: Math.round((Date.now() - sources.startedAt.getTime()) / 1000),
            ...(await sources.metrics()),
          });
        default:
          return json(res, 404, { error: "not found" });
      }
    };
    handle().catch((err: Error) => {
      logger.error({ path, err }, "http_handler_failed");
      if (!res.headersSent) json(res, 500, { error: "internal" });
    });
  });
}
