import { createRequire } from "node:module";

/**
 * Where the deploy runtime stands in Google's lifecycle, decided by firebase-tools' own table
 * and guard (the code `firebase deploy` runs), so a decommission turns the suite red before a
 * deploy is refused.
 */

interface RuntimeEntry {
  friendly: string;
  deprecationDate: string;
  decommissionDate: string;
}
interface SupportedModule {
  RUNTIMES: Record<string, RuntimeEntry>;
  guardVersionSupport(runtime: string, now?: Date): void;
}

// firebase-tools has no typed entry for this module; it is the file its deploy requires.
const supported = createRequire(__filename)(
  "firebase-tools/lib/deploy/functions/runtimes/supported",
) as SupportedModule;

/** How long before Google's deprecation date the suite starts warning. */
export const WARN_BEFORE_DEPRECATION_DAYS = 180;
const DAY_MS = 86_400_000;

export type RuntimeSupport =
  | { status: "supported"; deprecationDate: string; daysToDeprecation: number }
  | { status: "deprecation_soon"; deprecationDate: string; daysToDeprecation: number }
  | { status: "deprecated"; deprecationDate: string; decommissionDate: string }
  | { status: "decommissioned"; decommissionDate: string; refusal: string }
  | { status: "unknown"; runtime: string };

export function runtimeSupport(runtime: string, now: Date): RuntimeSupport {
  const entry = supported.RUNTIMES[runtime];
  if (!entry) return { status: "unknown", runtime };
  try {
    supported.guardVersionSupport(runtime, now);
  } catch (err) {
    return { status: "decommissioned", decommissionDate: entry.decommissionDate, refusal: (err as Error).message };
  }
  const deprecationMs = Date.parse(entry.deprecationDate);
  if (now.getTime() >= deprecationMs) {
    return { status: "deprecated", deprecationDate: entry.deprecationDate, decommissionDate: entry.decommissionDate };
  }
  const daysToDeprecation = Math.floor((deprecationMs - now.getTime()) / DAY_MS);
  return {
    status: daysToDeprecation <= WARN_BEFORE_DEPRECATION_DAYS ? "deprecation_soon" : "supported",
    deprecationDate: entry.deprecationDate,
    daysToDeprecation,
  };
}
