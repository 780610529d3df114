import { encodeIdSegment, inboundDedupeId, inboundMessageKeyId, optOutId, sessionKeyDocId, threadPeerId } from "./ids";

/**
 * Every Firestore path the system uses, built in one place. Segments are checked so a
 * value with a slash can never address a different document than the one intended.
 */

function segment(value: string, what: string): string {
  if (value.length === 0 || value.includes("/") || value === "." || value === ".." || /^__.*__$/.test(value)) {
    throw new RangeError(`${what} is not a valid document id`);
  }
  return value;
}

export const collections = {
  threads: "threads",
  outbox: "outbox",
  accounts: "accounts",
  waSessions: "waSessions",
  inboundDedupe: "inboundDedupe",
  inboundPending: "inboundPending",
  rateLimits: "rateLimits",
  threadPeers: "threadPeers",
  claimAttempts: "claimAttempts",
  optOuts: "optOuts",
  workers: "workers",
  cloudApiEvents: "cloudApiEvents",
  cloudApiNumbers: "cloudApiNumbers",
  mediaDownloads: "mediaDownloads",
  mediaUploads: "mediaUploads",
  sentMedia: "sentMedia",
} as const;

const LONGRUN = "wa_metrics/longrun";

export const paths = {
  thread: (threadId: string) => `${collections.threads}/${segment(threadId, "threadId")}`,
  threadMessages: (threadId: string) => `${paths.thread(threadId)}/messages`,
  threadMessage: (threadId: string, messageId: string) =>
    `${paths.threadMessages(threadId)}/${segment(messageId, "messageId")}`,

  outboxEntry: (requestId: string) => `${collections.outbox}/${segment(requestId, "requestId")}`,
  account: (accountId: string) => `${collections.accounts}/${segment(accountId, "accountId")}`,
  /** A Cloud API account's message templates (`{name}.{language}`), as Meta last listed them. */
  messageTemplates: (accountId: string) => `${paths.account(accountId)}/templates`,
  messageTemplate: (accountId: string, templateId: string) =>
    `${paths.messageTemplates(accountId)}/${segment(templateId, "templateId")}`,
  /** The creds and the session fence; the Signal keys are below it. */
  waSession: (accountId: string) => `${collections.waSessions}/${segment(accountId, "accountId")}`,
  waSessionKeys: (accountId: string) => `${paths.waSession(accountId)}/keys`,
  waSessionKey: (accountId: string, type: string, id: string) =>
    `${paths.waSessionKeys(accountId)}/${sessionKeyDocId(type, id)}`,
  /** One part of a key too large for one document; `~` never occurs in a key's own document id. */
  waSessionKeyPart: (accountId: string, type: string, id: string, part: number) =>
    `${paths.waSessionKeys(accountId)}/${sessionKeyDocId(type, id)}~${part}`,
  /** The marker's old key (account and message id), still read until its TTL ends it. */
  inboundDedupe: (accountId: string, messageId: string) =>
    `${collections.inboundDedupe}/${inboundDedupeId(accountId, messageId)}`,
  inboundMessageKey: (accountId: string, threadId: string, sender: "contact" | "me", messageId: string) =>
    `${collections.inboundDedupe}/${inboundMessageKeyId(accountId, threadId, sender, messageId)}`,
  inboundPending: (pendingId: string) => `${collections.inboundPending}/${segment(pendingId, "pendingId")}`,
  threadPeer: (accountId: string, peerJid: string) => `${collections.threadPeers}/${threadPeerId(accountId, peerJid)}`,
  claimAttempt: (attemptId: string) => `${collections.claimAttempts}/${segment(attemptId, "attemptId")}`,
  rateLimit: (uid: string) => `${collections.rateLimits}/${segment(uid, "uid")}`,
  /** One of a user's send slots in a rate-limit window (`{uid}__{window}__{slot}`). */
  rateLimitSlot: (uid: string, windowIndex: number, slot: number) =>
    `${collections.rateLimits}/${segment(uid, "uid")}__${windowIndex}__${slot}`,
  /** A contact who opted out of the account's messages (by its number or its LID: one document each). */
  optOut: (accountId: string, contactJid: string) => `${collections.optOuts}/${optOutId(accountId, contactJid)}`,
  worker: (workerId: string) => `${collections.workers}/${segment(workerId, "workerId")}`,
  cloudApiEvent: (eventId: string) => `${collections.cloudApiEvents}/${segment(eventId, "eventId")}`,
  cloudApiNumber: (phoneNumberId: string) =>
    `${collections.cloudApiNumbers}/${segment(phoneNumberId, "phoneNumberId")}`,

  /** An inbound message's bytes still to fetch (`{accountId}__{threadId}__{messageDocId}`). */
  mediaDownload: (accountId: string, threadId: string, messageDocId: string) =>
    `${collections.mediaDownloads}/${segment(accountId, "accountId")}__${segment(threadId, "threadId")}__${segment(messageDocId, "messageDocId")}`,

  sentMedia: (accountId: string, providerMessageId: string) =>
    `${collections.sentMedia}/${segment(accountId, "accountId")}__${segment(providerMessageId, "providerMessageId")}`,
  mediaUpload: (uploadId: string) => `${collections.mediaUploads}/${segment(uploadId, "uploadId")}`,

  longrun: {
    root: LONGRUN,
    config: `${LONGRUN}/config/current`,
    state: `${LONGRUN}/state/current`,
    /** The watchdog's own memory: last run, reconnect samples, last good config. */
    watchdogState: `${LONGRUN}/state/watchdog`,
    locks: `${LONGRUN}/locks`,
    lock: (lockName: string) => `${LONGRUN}/locks/${segment(lockName, "lockName")}`,
    heartbeats: `${LONGRUN}/heartbeats`,
    heartbeat: (bucketId: string) => `${LONGRUN}/heartbeats/${segment(bucketId, "bucketId")}`,
    probes: `${LONGRUN}/probes`,
    probe: (probeKey: string) => `${LONGRUN}/probes/${segment(probeKey, "probeKey")}`,
    incidents: `${LONGRUN}/incidents`,
    incident: (incidentId: string) => `${LONGRUN}/incidents/${segment(incidentId, "incidentId")}`,
    rollups: `${LONGRUN}/rollups`,
    rollup: (date: string) => `${LONGRUN}/rollups/${segment(date, "date")}`,
    runs: `${LONGRUN}/runs`,
    run: (runKey: string) => `${LONGRUN}/runs/${segment(runKey, "runKey")}`,
    securityEvents: `${LONGRUN}/securityEvents`,
    unhandledStanzas: `${LONGRUN}/unhandledStanzas`,
    unhandledStanza: (kind: string, type: string) =>
      `${LONGRUN}/unhandledStanzas/${encodeIdSegment(kind)}__${encodeIdSegment(type)}`,
  },
} as const;
