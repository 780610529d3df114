import type { DocumentData } from "firebase-admin/firestore";
import type { DocumentKind } from "./document";
import { accounts } from "./collections/accounts";
import { cloudApiEvents } from "./collections/cloudApiEvents";
import { cloudApiNumbers } from "./collections/cloudApiNumbers";
import { mediaDownloads } from "./collections/mediaDownloads";
import { mediaUploads } from "./collections/mediaUploads";
import { sentMedia } from "./collections/sentMedia";
import { messageTemplates } from "./collections/messageTemplates";
import { claimAttempts, inboundDedupe, inboundPending, rateLimits } from "./collections/inbound";
import {
  heartbeats,
  heartbeatState,
  incidents,
  locks,
  probes,
  rollups,
  runs,
  securityEvents,
  unhandledStanzas,
  watchdogMemory,
} from "./collections/longrun";
import { optOuts } from "./collections/optOuts";
import { outbox } from "./collections/outbox";
import { workers } from "./collections/workers";
import { waSessionKeys, waSessions } from "./collections/sessions";
import { threadMessages, threadPeers, threads } from "./collections/threads";

const ID = "[^/]+";
const LONGRUN = "wa_metrics/longrun";

interface DocumentKindEntry {
  name: string;
  /** The id of the collection it lives in: what a collection-group read names. */
  collection: string;
  path: RegExp;
  kind: DocumentKind<DocumentData> | null;
}

/** The documents of the collection at `collectionPath` (segments may be the ID pattern), or the one named `id`. */
function at(name: string, collectionPath: string, kind: DocumentKind<DocumentData> | null, id = ID): DocumentKindEntry {
  return { name, collection: collectionPath.split("/").pop()!, path: new RegExp(`^${collectionPath}/${id}$`), kind };
}

const kinds = <T extends DocumentData>(kind: DocumentKind<T>) => kind as unknown as DocumentKind<DocumentData>;

/**
 * Every kind of document the system stores, by path: what a schema audit walks. `kind` null:
 * `config/current`, edited by operators and resolved leniently (core's resolveMonitoringConfig).
 */
export const documentKinds: DocumentKindEntry[] = [
  at("accounts", "accounts", kinds(accounts.kind)),
  at("message templates", `accounts/${ID}/templates`, kinds(messageTemplates.kind)),
  at("waSessions", "waSessions", kinds(waSessions.kind)),
  at("waSessions keys", `waSessions/${ID}/keys`, kinds(waSessionKeys.kind)),
  at("outbox", "outbox", kinds(outbox.kind)),
  at("threads", "threads", kinds(threads.kind)),
  at("thread messages", `threads/${ID}/messages`, kinds(threadMessages.kind)),
  at("threadPeers", "threadPeers", kinds(threadPeers.kind)),
  at("inboundDedupe", "inboundDedupe", kinds(inboundDedupe.kind)),
  at("inboundPending", "inboundPending", kinds(inboundPending.kind)),
  at("rateLimits", "rateLimits", kinds(rateLimits.kind)),
  at("claimAttempts", "claimAttempts", kinds(claimAttempts.kind)),
  at("optOuts", "optOuts", kinds(optOuts.kind)),
  at("workers", "workers", kinds(workers.kind)),
  at("cloudApiEvents", "cloudApiEvents", kinds(cloudApiEvents.kind)),
  at("cloudApiNumbers", "cloudApiNumbers", kinds(cloudApiNumbers.kind)),
  at("mediaDownloads", "mediaDownloads", kinds(mediaDownloads.kind)),
  at("mediaUploads", "mediaUploads", kinds(mediaUploads.kind)),
  at("sentMedia", "sentMedia", kinds(sentMedia.kind)),
  at("monitoring config", `${LONGRUN}/config`, null, "current"),
  at("heartbeat state", `${LONGRUN}/state`, kinds(heartbeatState.kind), "current"),
  at("watchdog memory", `${LONGRUN}/state`, kinds(watchdogMemory.kind), "watchdog"),
  at("locks", `${LONGRUN}/locks`, kinds(locks.kind)),
  at("heartbeats", `${LONGRUN}/heartbeats`, kinds(heartbeats.kind)),
  at("probes", `${LONGRUN}/probes`, kinds(probes.kind)),
  at("incidents", `${LONGRUN}/incidents`, kinds(incidents.kind)),
  at("rollups", `${LONGRUN}/rollups`, kinds(rollups.kind)),
  at("runs", `${LONGRUN}/runs`, kinds(runs.kind)),
  at("security events", `${LONGRUN}/securityEvents`, kinds(securityEvents.kind)),
  at("unhandled stanzas", `${LONGRUN}/unhandledStanzas`, kinds(unhandledStanzas.kind)),
];

/** Every collection id the system writes (`messages`, `keys`, `heartbeats`…): what a collection-group read covers. */
export const collectionIds = [...new Set(documentKinds.map((entry) => entry.collection))];

/** The kind of document stored at `path`, or undefined for a path the system never writes. */
export function documentKindOf(path: string) {
  return documentKinds.find((entry) => entry.path.test(path));
}
