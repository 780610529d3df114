import { z } from "zod";

/** The part of a Firestore Timestamp that core relies on; core never imports an SDK. */
export interface TimestampLike {
  toMillis(): number;
  toDate(): Date;
}

/** Milliseconds of a stored Timestamp; null for anything else (a missing or null field). */
export function millisOf(value: unknown): number | null {
  return typeof (value as TimestampLike | null | undefined)?.toMillis === "function"
    ? (value as TimestampLike).toMillis()
    : null;
}

export const timestamp = z.custom<TimestampLike>(
  (value) => typeof (value as TimestampLike | null)?.toMillis === "function",
  { message: "expected a Firestore Timestamp" },
);

/** Who last wrote a document: operators read this in the console. */
export const writer = z.object({
  kind: z.enum(["function", "worker", "operator"]),
  id: z.string(),
});
export type Writer = z.infer<typeof writer>;
