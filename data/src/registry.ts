import type { DocumentData } from "firebase-admin/firestore";
import type { DocumentKind } from "./document";
import { accounts } from "./collections/accounts";
import { inboundDedupe, rateLimits } from "./collections/inbound";
import {
  heartbeats,
  heartbeatState,
  incidents,
  locks,
  probes,
  rollups,
  runs,
  watchdogMemory,
} from "./collections/longrun";
import { outbox } from "./collections/outbox";
import { waSessionKeys, waSessions } from "./collections/sessions";
import { threadMessages, threadPeers, threads } from "./collections/threads";

const ID = "[^/]+";
const LONGRUN = "wa_metrics/longrun";

/**
 * Every kind of document the system stores, by path: what a schema audit walks. `kind` null:
 * `config/current`, edited by operators and resolved leniently (core's resolveMonitoringConfig).
 */
export const documentKinds: { name: string; path: RegExp; kind: DocumentKind<DocumentData> | null }[] = [
  { name: "accounts", path: new RegExp(`^accounts/${ID}$`), kind: accounts.kind },
  { name: "waSessions", path: new RegExp(`^waSessions/${ID}$`), kind: waSessions.kind },
  { name: "waSessions keys", path: new RegExp(`^waSessions/${ID}/keys/${ID}$`), kind: waSessionKeys.kind },
  { name: "outbox", path: new RegExp(`^outbox/${ID}$`), kind: outbox.kind },
  { name: "threads", path: new RegExp(`^threads/${ID}$`), kind: threads.kind },
  { name: "thread messages", path: new RegExp(`^threads/${ID}/messages/${ID}$`), kind: threadMessages.kind },
  { name: "threadPeers", path: new RegExp(`^threadPeers/${ID}$`), kind: threadPeers.kind },
  { name: "inboundDedupe", path: new RegExp(`^inboundDedupe/${ID}$`), kind: inboundDedupe.kind },
  { name: "rateLimits", path: new RegExp(`^rateLimits/${ID}$`), kind: rateLimits.kind },
  { name: "monitoring config", path: new RegExp(`^${LONGRUN}/config/current$`), kind: null },
  { name: "heartbeat state", path: new RegExp(`^${LONGRUN}/state/current$`), kind: heartbeatState.kind },
  { name: "watchdog memory", path: new RegExp(`^${LONGRUN}/state/watchdog$`), kind: watchdogMemory.kind },
  { name: "locks", path: new RegExp(`^${LONGRUN}/locks/${ID}$`), kind: locks.kind },
  { name: "heartbeats", path: new RegExp(`^${LONGRUN}/heartbeats/${ID}$`), kind: heartbeats.kind },
  { name: "probes", path: new RegExp(`^${LONGRUN}/probes/${ID}$`), kind: probes.kind },
  { name: "incidents", path: new RegExp(`^${LONGRUN}/incidents/${ID}$`), kind: incidents.kind },
  { name: "rollups", path: new RegExp(`^${LONGRUN}/rollups/${ID}$`), kind: rollups.kind },
  { name: "runs", path: new RegExp(`^${LONGRUN}/runs/${ID}$`), kind: runs.kind },
] as { name: string; path: RegExp; kind: DocumentKind<DocumentData> | null }[];

/** The kind of document stored at `path`, or undefined for a path the system never writes. */
export function documentKindOf(path: string) {
  return documentKinds.find((entry) => entry.path.test(path));
}
