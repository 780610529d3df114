import type { Logger } from "../logging/logger";
import type { ConnectionUpdate } from "../transport/transport";
import type { AccountLeaseStore } from "./accountLeaseStore";

/** A socket's login as it goes: connecting, waiting for a person (QR or pairing code), open. */
export type LoginUpdate = Exclude<ConnectionUpdate, { state: "close" }>;

/** Writes what the account document shows of a login (under the lease of `epoch`), and logs it. */
export async function recordLogin(
  accounts: AccountLeaseStore,
  logger: Logger,
  accountId: string,
  epoch: number,
  update: LoginUpdate,
): Promise<void> {
  switch (update.state) {
    case "connecting":
      await accounts.setStatus(accountId, epoch, "connecting");
      return;
    case "qr":
    case "pairing_code":
      // Either way the account waits for a person: show what the client needs, clear the other.
      await accounts.setStatus(accountId, epoch, "pending_qr", {
        qr: update.state === "qr" ? update.qr : null,
        pairingCode: update.state === "pairing_code" ? update.code : null,
        qrExpiresAt: update.expiresAt,
      });
      logger.info({ accountId, method: update.state, expiresAt: update.expiresAt.toISOString() }, "account_qr_ready");
      return;
    case "open":
      await accounts.setStatus(accountId, epoch, "connected", {
        qr: null,
        qrExpiresAt: null,
        pairingCode: null,
        reconnectCooldownUntil: null,
        waJid: update.meJid,
      });
      logger.info({ accountId, epoch }, "account_connected");
      return;
  }
}
