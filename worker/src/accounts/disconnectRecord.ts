import type { LeaseWrite } from "@wa-gateway/core";
import type { Logger } from "../logging/logger";
import { retryWhile } from "../retry";
import type { AccountLeaseStore } from "./accountLeaseStore";

/** Attempts at recording a disconnect before the worker moves on without the record. */
const DISCONNECT_RECORD_ATTEMPTS = 4;

export type DisconnectRecord = Parameters<AccountLeaseStore["recordDisconnect"]>[2];

/**
 * Records a close on the account document (and gives the lease back with it, when asked),
 * retried a few times while the account is still held. It never stands in the way of a
 * reconnect: an account that cannot record its disconnect still comes back (`unrecorded`).
 */
export async function recordDisconnect(args: {
  accounts: Pick<AccountLeaseStore, "recordDisconnect">;
  logger: Logger;
  accountId: string;
  epoch: number;
  close: DisconnectRecord;
  stillHeld: () => boolean;
}): Promise<LeaseWrite | "unrecorded"> {
  const { accounts, logger, accountId, epoch, close } = args;
  try {
    return await retryWhile(
      () => accounts.recordDisconnect(accountId, epoch, close),
      (attempt) => attempt < DISCONNECT_RECORD_ATTEMPTS && args.stillHeld(),
      (err, attempt) => logger.warn({ accountId, attempt, err: err.message }, "account_disconnect_record_retry"),
    );
  } catch (err) {
    logger.error({ accountId, code: close.code, err }, "account_disconnect_unrecorded");
    return "unrecorded";
  }
}
