import type { NewChatMessageCapInfo, ReachoutTimelockState, WASocket } from "@whiskeysockets/baileys";
import type { Logger } from "../../logging/logger";
import type { ReachoutUpdate } from "../transport";

/** A 463 burst (or a pushed lock) asks WhatsApp once a minute at most, not once per message. */
const RECHECK_MS = 60_000;
/** WhatsApp's error for a new chat the account may not start (a reach-out timelock, or no privacy token). */
export const REACHOUT_REFUSED = 463;

/**
 * Follows WhatsApp's word on a socket's reach to new contacts: the reach-out timelock and the
 * new-chat quota, read when the socket opens and after a 463, and as WhatsApp pushes them
 * (`connection.update` with `reachoutTimeLock`, `message-capping.update`). rc14 reads the lock
 * after a 463 only under a branch its own 463 check shadows, so the read here is ours.
 */
export function followReachout(socket: WASocket, report: (update: ReachoutUpdate) => void, logger: Logger) {
  let lastRecheckMs = 0;
  const reportLock = (state: ReachoutTimelockState) =>
    report({
      kind: "lock",
      lock: {
        active: state.isActive === true,
        untilMs: state.timeEnforcementEnds?.getTime() ?? null,
        // The type as WhatsApp sent it: rc14's enum lacks today's RESTRICT_ALL_COMPANIONS.
        enforcement: String(state.enforcementType ?? "DEFAULT"),
      },
    });
  const reportQuota = (cap: NewChatMessageCapInfo | undefined) => {
    if (typeof cap?.total_quota !== "number") return; // no quota for this account
    const ends = Number(cap.cycle_end_timestamp);
    report({
      kind: "quota",
      used: cap.used_quota ?? 0,
      total: cap.total_quota,
      cycleEndsMs: Number.isFinite(ends) && ends > 0 ? ends * 1000 : null,
    });
  };
  // Its answer comes back as a connection.update, like a pushed change.
  const askLock = () =>
    void socket
      .fetchAccountReachoutTimelock()
      .catch((err: Error) => logger.warn({ err }, "reachout_timelock_read_failed"));
  /** Asked again on a 463 or a pushed lock, at most once a RECHECK_MS. */
  const recheckLock = () => {
    if (Date.now() - lastRecheckMs <= RECHECK_MS) return;
    lastRecheckMs = Date.now();
    askLock();
  };

  socket.ev.on("connection.update", ({ reachoutTimeLock: lock }) => {
    if (!lock) return;
    reportLock(lock);
    // rc14 maps a pushed type it does not know (today's RESTRICT_ALL_COMPANIONS) to DEFAULT; the query keeps it.
    if (lock.isActive && lock.enforcementType === "DEFAULT") recheckLock();
  });
  socket.ev.on("message-capping.update", reportQuota);

  return {
    opened(): void {
      askLock();
      socket
        .fetchNewChatMessageCap()
        .then(reportQuota, (err: Error) => logger.debug({ err: err.message }, "new_chat_quota_read_failed"));
    },
    /** WhatsApp refused one of our messages with `code`. */
    refused(code: number | undefined): void {
      if (code === REACHOUT_REFUSED) recheckLock();
    },
  };
}
