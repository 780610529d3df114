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

/**
 * `waSessions/{accountId}/keys/{type}__{id}`: one Signal key, its value BufferJSON text. A value
 * too large for one document (an app-state-sync-version past about 7 000 entries) is split:
 * the key document has `value` "", `parts` and the SHA-256 of the whole text, and each part is
 * `keys/{type}__{id}~{part}` with `part` and its slice of the text in `value`, all written in one
 * batch.
 */
export const waSessionKeyDocument = z.object({
  type: z.string(),
  id: z.string(),
  value: z.string(),
  parts: z.number().int().positive().optional(),
  sha256: z.string().optional(),
  part: z.number().int().nonnegative().optional(),
});
export type WaSessionKeyDocument = z.infer<typeof waSessionKeyDocument>;
