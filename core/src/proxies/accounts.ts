import { randomBytes } from "node:crypto";
import type { AccountDocument, CloudApiNumber } from "../documents/account";
import { nextEpoch } from "../leases";
import type { WrittenDocument } from "../documents/common";
import { mayUseAccount, requireAdmin, type Caller } from "./caller";
import { GatewayError } from "./errors";
import type { z } from "zod";
import type { clientAccount } from "./contract";
import { accountRequest, addAccountRequest, getAccountsRequest, parseRequest } from "./requests";

export type AccountCreate = { kind: "created" } | { kind: "number_taken"; accountId: string };

export interface AccountStore {
  /** Every account (admins) or those listing `memberUid`. */
  list(filter: { memberUid?: string }): Promise<Array<{ id: string; account: AccountDocument }>>;
  /**
   * Creates the account. A Cloud API account claims its number in the same transaction
   * (`cloudApiNumbers`): `number_taken` names the account, not removed, that holds it already.
   */
  create(accountId: string, account: WrittenDocument<AccountDocument>): Promise<AccountCreate>;
  /** Reads the account and applies `decide`'s fields in one transaction. */
  update<R>(
    accountId: string,
    decide: (account: AccountDocument | undefined) => { fields?: Partial<WrittenDocument<AccountDocument>>; result: R },
  ): Promise<R>;
  /**
   * Clears `waSessions/{accountId}` and everything below it under the account lease `lease`
   * took (the one fenced clear, data/src/sessionFence.ts), then gives the lease back.
   */
  deleteSession(
    accountId: string,
    lease: { workerId: string; epoch: number },
  ): Promise<"written" | "fenced" | "missing">;
}

interface AccountDeps {
  store: AccountStore;
  now: () => Date;
}

/** What a client may see of an account: status and what it needs to show a QR, never session material. */
export type AccountView = z.infer<typeof clientAccount>;

const iso = (t: { toDate(): Date } | null | undefined) => (t ? t.toDate().toISOString() : null);

export function accountView(id: string, a: AccountDocument): AccountView {
  return {
    accountId: id,
    label: a.label,
    status: a.status,
    transport: a.transport ?? "baileys",
    phoneNumber: a.phoneNumber,
    qr: a.qr,
    qrExpiresAt: iso(a.qrExpiresAt),
    pairingCode: a.pairingCode,
    lastDisconnect: a.lastDisconnect ? { code: a.lastDisconnect.code, at: iso(a.lastDisconnect.at)! } : null,
    updatedAt: iso(a.updatedAt),
  };
}

export async function handleGetAccounts(deps: AccountDeps, caller: Caller, data: unknown) {
  const req = parseRequest(getAccountsRequest, data ?? undefined);
  const rows = await deps.store.list(caller.admin ? {} : { memberUid: caller.uid });
  const showRemoved = caller.admin && req?.includeRemoved === true;
  const accounts = rows
    .filter(({ account }) => mayUseAccount(caller, account))
    .filter(({ account }) => showRemoved || account.status !== "removed")
    .map(({ id, account }) => accountView(id, account))
    .sort((a, b) => a.accountId.localeCompare(b.accountId));
  return { success: true as const, accounts };
}

export function newAccountId(): string {
  return `acc-${randomBytes(6).toString("hex")}`;
}

/**
 * A new account as it is first stored: waiting for a worker to show its QR, or, on the Cloud API,
 * to check its token and connect (no QR, no session).
 */
export function newAccountDocument(fields: {
  createdBy: string;
  now: Date;
  status?: AccountDocument["status"];
  label?: string | null;
  phoneNumber?: string | null;
  memberUids?: string[];
  cloudApi?: CloudApiNumber;
}): WrittenDocument<AccountDocument> {
  const { now } = fields;
  return {
    status: fields.status ?? (fields.cloudApi ? "connecting" : "pending_qr"),
    ...(fields.cloudApi ? { transport: "cloud_api" as const, cloudApi: fields.cloudApi } : {}),
    label: fields.label ?? null,
    phoneNumber: fields.phoneNumber ?? null,
    qr: null,
    qrExpiresAt: null,
    pairingCode: null,
    qrRequestedAt: now,
    owner: null,
    lastDisconnect: null,
    reconnectCount: 0,
    memberUids: [...new Set(fields.memberUids ?? [])],
    memberUidsApplied: [...new Set(fields.memberUids ?? [])],
    createdBy: fields.createdBy,
    createdAt: now,
    updatedAt: now,
    removedAt: null,
  };
}

export async function handleAddAccount(deps: AccountDeps, caller: Caller, data: unknown) {
  requireAdmin(caller);
  const req = parseRequest(addAccountRequest, data ?? {});
  const number = req.cloudApi?.phoneNumberId;
  const taken = (holder: string) =>
    new GatewayError("failed-precondition", `cloudApi.phoneNumberId: account ${holder} already has number ${number}`);
  if (number) {
    // Its webhook events are the number's: two accounts on one number would split them. Accounts
    // added before number claims existed are found by this scan; the claim settles the rest.
    const older = (await deps.store.list({})).find(
      ({ account }) => account.status !== "removed" && account.cloudApi?.phoneNumberId === number,
    );
    if (older) throw taken(older.id);
  }
  const accountId = newAccountId();
  const created = await deps.store.create(
    accountId,
    newAccountDocument({ createdBy: caller.uid, now: deps.now(), ...req }),
  );
  if (created.kind === "number_taken") throw taken(created.accountId);
  return { success: true as const, accountId };
}

function existing(account: AccountDocument | undefined, accountId: string): AccountDocument {
  if (!account) throw new GatewayError("not-found", `accountId: no account ${accountId}`);
  return account;
}

export async function handleRegenerateQr(deps: AccountDeps, caller: Caller, data: unknown) {
  requireAdmin(caller);
  const { accountId } = parseRequest(accountRequest, data);
  const now = deps.now();
  await deps.store.update(accountId, (current) => {
    const account = existing(current, accountId);
    if (account.status === "removed")
      throw new GatewayError("failed-precondition", "accountId: the account was removed");
    if (account.transport === "cloud_api")
      throw new GatewayError("failed-precondition", "accountId: a Cloud API account has no QR");
    if (account.status === "connected") {
      throw new GatewayError(
        "failed-precondition",
        "accountId: the account is connected; a new QR is only for a disconnected account",
      );
    }
    return {
      fields: {
        status: "pending_qr",
        qr: null,
        qrExpiresAt: null,
        pairingCode: null,
        qrRequestedAt: now,
        updatedAt: now,
      },
      result: undefined,
    };
  });
  return { success: true as const, accountId };
}

/** The removal callable holds the account lease this long while it clears the session. */
export const REMOVAL_LEASE_MS = 60_000;

export async function handleRemoveAccount(deps: AccountDeps, caller: Caller, data: unknown) {
  requireAdmin(caller);
  const { accountId } = parseRequest(accountRequest, data);
  const now = deps.now();
  const outcome = await deps.store.update(accountId, (current) => {
    const account = existing(current, accountId);
    if (account.status === "removed") return { result: { alreadyRemoved: true, lease: null } };
    const owner = account.owner;
    const ownerLive = !!owner && !owner.releasedAt && owner.leaseUntil.toMillis() > now.getTime();
    // With a live owner the worker logs out and clears the session when it sees `removed`. With
    // none, the callable takes the lease itself (a new epoch fences any holder that has not yet
    // noticed its lease ran out) and clears it the one fenced way, like the worker would.
    const lease = ownerLive
      ? null
      : {
          workerId: `whatsappProxyRemoveAccount:${randomBytes(6).toString("hex")}`,
          leaseUntil: new Date(now.getTime() + REMOVAL_LEASE_MS),
          epoch: nextEpoch(
            owner && { holder: owner.workerId, untilMs: owner.leaseUntil.toMillis(), epoch: owner.epoch },
          ),
        };
    return {
      fields: {
        status: "removed",
        removedAt: now,
        qr: null,
        qrExpiresAt: null,
        pairingCode: null,
        updatedAt: now,
        ...(lease ? { owner: lease } : {}),
      },
      result: { alreadyRemoved: false, lease },
    };
  });
  // If this fails half-way, the lease runs out and the worker's dormant sweep clears it instead.
  if (outcome.lease) await deps.store.deleteSession(accountId, outcome.lease);
  return { success: true as const, accountId, alreadyRemoved: outcome.alreadyRemoved };
}
