/**
 * What every part shares: deterministic ids, Firestore paths, the fenced lease, gRPC codes and
 * secret masking. The rest is imported by subpath: @wa-gateway/core/documents (schemas),
 * /proxies (the callables' handlers), /outbox, /accounts, /longrun (monitoring).
 */
export * from "./grpc";
export * from "./ids";
export * from "./paths";
export * from "./redact";
export * from "./leases";
