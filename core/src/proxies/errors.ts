/** The error codes a callable answers with; each maps 1:1 onto an HttpsError code. */
export type GatewayErrorCode =
  | "unauthenticated"
  | "permission-denied"
  | "invalid-argument"
  | "not-found"
  | "failed-precondition"
  | "resource-exhausted";

/** A refusal the caller can act on. Its message is shown to clients: never put secrets or message text in it. */
export class GatewayError extends Error {
  constructor(
    readonly code: GatewayErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "GatewayError";
  }
}
