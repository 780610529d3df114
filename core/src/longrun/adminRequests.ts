import { z } from "zod";

/** Admin-only manual triggers (the runbook had to change code for these). */

export const runProbeRequest = z.strictObject({ type: z.enum(["OUT", "QUEUE", "IN"]) });

export const runRollupRequest = z.strictObject({
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be yyyy-mm-dd"),
});
