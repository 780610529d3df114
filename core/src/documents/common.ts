import { z } from "zod";

/** The part of a Firestore Timestamp that core relies on; core never imports an SDK. */
export interface TimestampLike {
  toMillis(): number;
  toDate(): Date;
}

export const timestamp = z.custom<TimestampLike>(
  (value) => typeof (value as TimestampLike | null)?.toMillis === "function",
  { message: "expected a Firestore Timestamp" },
);

/**
 * Who last wrote a document, for operators reading it in the console: the job or callable's
 * name, or the worker's instance id.
 */
export const updatedBy = z.string().min(1);

/**
 * What a writer may store where a document holds a Timestamp: a Date (the SDK stores it as a
 * Timestamp) or a stored Timestamp. The data layer types every write with this, so a writer
 * that drifts from its collection's schema does not compile.
 */
export type Written<T> = T extends TimestampLike
  ? TimestampLike | Date
  : T extends readonly (infer U)[]
    ? Written<U>[]
    : T extends object
      ? { [K in keyof T]: Written<T[K]> }
      : T;

/** A whole document as its writer builds it (see Written). */
export type WrittenDocument<T> = { [K in keyof T]: Written<T[K]> };
