/** The gRPC status codes Firestore errors carry as `err.code`, named once for every store. */
export const GrpcStatus = {
  CANCELLED: 1,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  FAILED_PRECONDITION: 9,
  UNAVAILABLE: 14,
} as const;

/** The gRPC status of a Firestore error, if it has one. */
export function grpcStatusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === "number" ? code : undefined;
}
