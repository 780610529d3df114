import type { z } from "zod";
import { GatewayError } from "./errors";

export * from "./contract";

/** Parses a callable's data, or throws invalid-argument naming the field (never echoing values). */
export function parseRequest<S extends z.ZodType>(schema: S, data: unknown): z.infer<S> {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  if (issue.code === "unrecognized_keys") {
    throw new GatewayError(
      "invalid-argument",
      `unexpected field(s): ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}`.slice(0, 200),
    );
  }
  const field = issue.path.length ? issue.path.join(".") : "request";
  const message = issue.code === "invalid_type" ? `expected ${issue.expected}` : issue.message;
  throw new GatewayError("invalid-argument", `${field}: ${message}`);
}
