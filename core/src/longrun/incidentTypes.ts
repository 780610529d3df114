/**
 * The incident catalogue: every type with its severity, title and what the on-call engineer
 * does. A leaf module (imports nothing), so the document schemas and the state machine both
 * read it without importing each other.
 */

export const SEVERITIES = ["P1", "P2", "P3"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Severities follow the runbook's incident table; the actions are what the alert tells the on-call engineer. */
export const INCIDENT_TYPES = {
  missed_heartbeat: {
    severity: "P2",
    title: "Heartbeats stopped",
    action:
      "Check the worker is running (its /healthz and logs) and who holds wa_metrics/longrun/locks/heartbeat-scheduler; restart the worker if it is down.",
  },
  heartbeat_gaps: {
    severity: "P2",
    title: "Heartbeats missed in the last hour",
    action: "The worker is flapping: look for restarts, memory pressure or Firestore errors in its logs.",
  },
  low_coverage: {
    severity: "P3",
    title: "Heartbeat coverage under target (last 24 h)",
    action: "Run npm run verify:dataquality to see the gaps; today's rollup will be marked insufficientData.",
  },
  probe_fail: {
    severity: "P3",
    title: "Probe failing",
    action:
      "Open the probe documents in wa_metrics/longrun/probes for the reason; check the probe account is connected.",
  },
  queue_depth: {
    severity: "P3",
    title: "Outbox queue too deep",
    action: "Messages are arriving faster than they go out: check accounts are connected, consider another worker.",
  },
  outbox_lag: {
    severity: "P2",
    title: "Oldest queued message too old",
    action: "Check the worker is up and the message's account is connected (outbox entries with status queued).",
  },
  failed_sends: {
    severity: "P2",
    title: "Sends failing",
    action: "Check account connectivity and the lastError of the failed outbox entries.",
  },
  no_active_account: {
    severity: "P1",
    title: "No WhatsApp account connected",
    action:
      "Nothing can be sent. Check the worker is running and the accounts' status; re-link with a new QR if needed.",
  },
  logged_out: {
    severity: "P1",
    title: "WhatsApp account logged out",
    action:
      "Re-link the account: whatsappProxyRegenerateQr, then scan the QR from the phone. Check the phone's linked devices.",
  },
  reconnect_loop: {
    severity: "P2",
    title: "Account reconnecting in a loop",
    action: "Look at the account's lastDisconnect code; if it keeps failing, remove and re-add it.",
  },
  client_version_rejected: {
    severity: "P1",
    title: "WhatsApp rejects the client version",
    action:
      "Accounts are closed with 405 or 516: WhatsApp no longer accepts the WhatsApp Web version the worker announces. Update WA_VERSION (the worker's env) to the current WhatsApp Web version (major.minor.patch) and redeploy the worker; the accounts reconnect by themselves.",
  },
  unhandled_stanza: {
    severity: "P2",
    title: "WhatsApp sends something the gateway does not handle",
    action:
      "Several accounts received a stanza type nothing handles (the key says which; wa_unhandled_stanzas_total counts it, the worker's whatsapp_stanza_unhandled log shows its shape): look for it in Baileys' issues and releases, and check linking, receiving and sending still work.",
  },
  account_down: {
    severity: "P2",
    title: "WhatsApp account down",
    action:
      "The worker reconnects by itself first; the reason says why this account is still down and what to do (scan a new QR, start a worker, wait for the cooldown, read lastDisconnect).",
  },
  cloud_token_expiring: {
    severity: "P2",
    title: "Cloud API access token about to expire",
    action:
      "Meta will refuse this Cloud API account's token at the time in the reason, and nothing will be sent from it. Create a new token (a system user's token does not expire) and store it as a new version of the secret the account names (cloudApi.tokenSecret); the worker reads it within 10 minutes and the incident resolves at its next check.",
  },
  delivery_rate: {
    severity: "P2",
    title: "Delivery rate under target (last hour)",
    action:
      "Read lastError of the failed outbox entries of the hour (npm run requeue -- --since 1h --dry-run lists them); check the account is connected and the numbers are on WhatsApp; requeue once the cause is fixed.",
  },
  error_rate: {
    severity: "P2",
    title: "Too many failed sends (last hour)",
    action:
      "Group the hour's failed outbox entries by lastError (npm run requeue -- --since 1h --dry-run); a single cause (a blocked number, a 463, a disconnect) is the place to start.",
  },
  probe_pass_rate: {
    severity: "P3",
    title: "Probe pass rate under target (daily rollup)",
    action:
      "Read the day's FAIL probes in wa_metrics/longrun/probes and npm run verify:probes; fix the probe account or the path it tests.",
  },
  incident_count: {
    severity: "P3",
    title: "Too many incidents in a day",
    action:
      "npm run report for the day: find the type that repeats and fix its cause rather than acknowledging each one.",
  },
  inbound_backlog: {
    severity: "P2",
    title: "Inbound messages not stored",
    action:
      "A worker has failed to store this account's inbound messages for over a minute (it keeps them in memory and retries): read its inbound_store_stuck errors.",
  },
  accounts_unheld: {
    severity: "P2",
    title: "Accounts with no worker",
    action:
      "The workers are full (MAX_ACCOUNTS_PER_WORKER each) or down. The capacity job (longrunCapacity) raises the worker service's minimum instances every 5 minutes: check its capacity_set / capacity_capped logs; if capped, raise WORKER_MAX_INSTANCES and the service's --max-instances; if the workers are down, see missed_heartbeat.",
  },
  reachout_timelock: {
    severity: "P2",
    title: "WhatsApp locked an account's reach to new contacts",
    action:
      "WhatsApp refuses this account's new chats (error 463) until the time in the reason; do not retry or work around it, each attempt counts against the number. First messages wait in the outbox (heldReason reachout_timelock) and go once it ends; replies to existing contacts still go. Afterwards lower NEW_CONTACT_BUDGET, and check the refused messages' numbers are on WhatsApp (npm run requeue -- --since 24h --dry-run).",
  },
  rollup_failed: {
    severity: "P3",
    title: "Daily rollup failed",
    action: "Read the error in wa_metrics/longrun/runs; rerun with whatsappAdminRunRollup once fixed.",
  },
  config_invalid: {
    severity: "P3",
    title: "Monitoring config rejected",
    action: "Fix wa_metrics/longrun/config/current; until then the last good values are used.",
  },
} as const satisfies Record<string, { severity: Severity; title: string; action: string }>;

export type IncidentType = keyof typeof INCIDENT_TYPES;
