import { z } from "zod";
import { timestamp } from "./common";

/**
 * `waSessions/{accountId}`: an account's Baileys creds (BufferJSON text; null until the first
 * save) and the session fence, the lease epoch of the worker writing the session.
 */
export const waSessionDocument = z.object({
  epoch: z.number().int().nonnegative(),
  creds: z.string().nullable(),
  updatedAt: timestamp,
});
export type WaSessionDocument = z.infer<typeof waSessionDocument>;

/** `waSessions/{accountId}/keys/{type}__{id}`: one Signal key, its value BufferJSON text. */
export const waSessionKeyDocument = z.object({
  type: z.string(),
  id: z.string(),
  value: z.string(),
});
export type WaSessionKeyDocument = z.infer<typeof waSessionKeyDocument>;
