/** The error codes a callable answers with; each maps 1:1 onto an HttpsError code. */
export type GatewayErrorCode =
  | "unauthenticated"
  | "permission-denied"
  | "invalid-argument"
  | "not-found"
  | "failed-precondition"
  | "resource-exhausted"
  | "unavailable";

/** A refusal the caller can act on. Its message is shown to clients: never put secrets or message text in it. */
export class GatewayError extends Error {
  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    /**
     * `cross_tenant`: the caller named an account (or a thread of one) it is not a member of; the
     * callable records it as a security event (go-no-go's rollback trigger). Never shown to the
     * caller, whose answer is the same either way.
     */
    readonly refusal: "cross_tenant" | "ordinary" = "ordinary",
  ) {
    super(message);
    this.name = "GatewayError";
  }
}
