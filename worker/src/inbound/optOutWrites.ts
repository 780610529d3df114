import { Timestamp } from "firebase-admin/firestore";
import type { OptOutKeywords, OptOutMatch } from "@wa-gateway/core/accounts";
import type { InboundMessage } from "../transport/transport";
import type { InboundDb, InboundWrite } from "./inboundDb";

/** What the inbound store did about a contact's opt-out or opt-in keyword, once committed (for the log). */
export interface OptOutChange {
  accountId: string;
  messageId: string;
  kind: OptOutMatch["kind"];
  keyword: string;
  /** Records written (opt-out) or deleted (opt-in): one per JID the contact is known by; 0: an opt-in with nothing to remove. */
  records: number;
}

/** The opt-out keywords (default: core's) and who hears of a committed change (the worker's log). */
export interface OptOutOptions {
  keywords?: OptOutKeywords;
  onOptOut?: (change: OptOutChange) => void;
}

/**
 * What a contact's opt-out or opt-in keyword changes (core/src/accounts/optOut.ts). An opt-out is
 * recorded under each JID the contact is known by (its number and its LID), so a send to either
 * is refused; each record names the other, so an opt-in or an operator's clear given one JID
 * removes both. An opt-in older than the record (an `offline` START delivered after a newer STOP)
 * leaves it.
 */
export async function optOutWrites(
  db: InboundDb,
  accountId: string,
  jids: string[],
  said: OptOutMatch,
  message: InboundMessage,
  now: Timestamp,
): Promise<InboundWrite[]> {
  const found = await db.optOuts(accountId, jids);
  const at = Timestamp.fromDate(message.timestamp);
  if (said.kind === "opt_out") {
    return jids.map((jid, i) => ({
      kind: "optOut",
      accountId,
      jid,
      data: {
        accountId,
        contactJid: jid,
        otherJid: jids[1 - i] ?? found[i]?.otherJid ?? null,
        keyword: said.keyword,
        messageId: message.messageId,
        at,
        source: "contact",
        createdAt: now,
      },
    }));
  }
  const older = found.filter((record) => record !== undefined && record.at.toMillis() <= at.toMillis());
  if (older.length === 0) return [];
  const all = new Set([...jids, ...older.flatMap((record) => (record!.otherJid ? [record!.otherJid] : []))]);
  return [...all].map((jid) => ({ kind: "optIn", accountId, jid }));
}
