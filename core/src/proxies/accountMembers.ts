import type { ThreadDocument } from "../documents/thread";
import { requireAdmin, type Caller } from "./caller";
import { GatewayError } from "./errors";
import { parseRequest, setAccountMembersRequest } from "./requests";

/**
 * Membership is the boundary: a user who leaves an account's `memberUids` loses its threads.
 *
 *   memberUids edited (this callable, or an operator in the console)
 *        │
 *        ▼
 *   revoke: every thread of the account the user owned goes back to the unassigned inbox
 *   (ownerUid null), every thread they co-wrote drops them; then `memberUidsApplied` = memberUids
 *
 * The callable revokes at once; the every-minute sweep (whatsappAccountMembersSweep) revokes what
 * a hand edit left, so a removed user loses access within a minute either way. Reading the
 * account's messages, and a single thread, is refused by the rules at once (they check
 * membership there); the cross-account inbox queries cannot, which is why threads are stripped.
 */

/** The users to strip: in the last members applied, not in the members now. null: unknown, check every thread. */
export function removedMembers(memberUids: string[], applied: string[] | undefined): string[] | null {
  if (applied === undefined) return null;
  return applied.filter((uid) => !memberUids.includes(uid));
}

/** Whether the account's threads lag its members (the sweep's test). */
export function membersLag(memberUids: string[], applied: string[] | undefined): boolean {
  if (applied === undefined) return true;
  return memberUids.length !== applied.length || memberUids.some((uid) => !applied.includes(uid));
}

/** A thread's owner and co-writers once only members are left; undefined when nothing changes. */
export function strippedThread(
  thread: Pick<ThreadDocument, "ownerUid" | "coWriterUids">,
  memberUids: string[],
): Pick<ThreadDocument, "ownerUid" | "coWriterUids"> | undefined {
  const ownerLeft = thread.ownerUid !== null && !memberUids.includes(thread.ownerUid);
  const coWriterUids = thread.coWriterUids.filter((uid) => memberUids.includes(uid));
  if (!ownerLeft && coWriterUids.length === thread.coWriterUids.length) return undefined;
  return { ownerUid: ownerLeft ? null : thread.ownerUid, coWriterUids };
}

export type RevokeResult =
  { kind: "revoked"; threadsChanged: number; removedUids: string[] | null } | { kind: "missing" };

export interface AccountMembersStore {
  /** Sets the account's members in one transaction; "missing" when there is no such account. */
  setMembers(accountId: string, memberUids: string[], now: Date): Promise<"set" | "missing">;
  /** Strips users who are no longer members from the account's threads, then records the members applied. */
  revoke(accountId: string): Promise<RevokeResult>;
  /** The accounts whose threads lag their members. */
  lagging(): Promise<string[]>;
}

export interface AccountMembersAnswer {
  success: true;
  accountId: string;
  memberUids: string[];
  /** Threads whose owner went back to the inbox or lost a co-writer. */
  threadsChanged: number;
}

/** whatsappProxySetAccountMembers (admin): who may use the account; anyone left out loses its threads now. */
export async function handleSetAccountMembers(
  deps: { store: AccountMembersStore; now: () => Date },
  caller: Caller,
  data: unknown,
): Promise<AccountMembersAnswer> {
  requireAdmin(caller);
  const req = parseRequest(setAccountMembersRequest, data);
  const memberUids = [...new Set(req.memberUids)];
  if ((await deps.store.setMembers(req.accountId, memberUids, deps.now())) === "missing") {
    throw new GatewayError("not-found", `accountId: no account ${req.accountId}`);
  }
  const revoked = await deps.store.revoke(req.accountId);
  return {
    success: true,
    accountId: req.accountId,
    memberUids,
    threadsChanged: revoked.kind === "revoked" ? revoked.threadsChanged : 0,
  };
}

/** The sweep: every account whose threads lag its members (a hand edit) is revoked; answers what it did. */
export async function sweepAccountMembers(
  store: AccountMembersStore,
): Promise<{ accountId: string; result: RevokeResult }[]> {
  const done: { accountId: string; result: RevokeResult }[] = [];
  for (const accountId of await store.lagging()) done.push({ accountId, result: await store.revoke(accountId) });
  return done;
}
