import { GatewayError } from "./errors";

/** Who is calling, as far as authorisation cares. */
export interface Caller {
  uid: string;
  admin: boolean;
  /** The gateway itself (its probes); never set from a request. */
  system?: true;
}

/** From a verified ID token's claims: admin is the custom claim `admin == true`, nothing else. */
export function callerFrom(auth: { uid: string; token: Record<string, unknown> } | undefined): Caller {
  if (!auth?.uid) throw new GatewayError("unauthenticated", "Sign in to call this function");
  return { uid: auth.uid, admin: auth.token.admin === true };
}

export function requireAdmin(caller: Caller): void {
  if (!caller.admin) throw new GatewayError("permission-denied", "Only admins may do this");
}

/** May this caller use the account: admins always, others when listed in memberUids. */
export function mayUseAccount(caller: Caller, account: { memberUids: string[] }): boolean {
  return caller.admin || account.memberUids.includes(caller.uid);
}
