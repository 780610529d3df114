import type { MonitoringConfig } from "../documents/longrun";
import { GLOBAL_KEY, type Evaluation } from "./incidents";

/**
 * Delivery rate and error rate over the last hour, checked every 15 minutes (the production
 * runbook's "< 90 % over 1 hour with > 10 messages" and "> 20 errors per hour").
 *
 * From the outcomes the gateway records on the outbox: an entry `sent` (WhatsApp took it; a
 * delivered or read receipt comes later to a message that was sent first) or `failed` for good.
 * Delivery rate = sent / (sent + failed) among entries that finished in the hour; an error is
 * an entry that failed in the hour. Retries still under way are neither.
 */

export interface DeliveryOutcomes {
  sent: number;
  failed: number;
}

export interface DeliveryView {
  overall: DeliveryOutcomes;
  /** Accounts with a failure in the hour, and those named by an open delivery_rate or error_rate. */
  perAccount: (DeliveryOutcomes & { accountId: string })[];
}

export const DELIVERY_WINDOW_MS = 3_600_000;

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

export function deliveryRate(o: DeliveryOutcomes): number | null {
  const finished = o.sent + o.failed;
  return finished === 0 ? null : o.sent / finished;
}

function evaluateOne(o: DeliveryOutcomes, key: string, who: string, config: MonitoringConfig): Evaluation[] {
  const t = config.alertThresholds;
  const finished = o.sent + o.failed;
  const rate = deliveryRate(o);
  const low = rate !== null && finished > t.deliveryRateMinMessages && rate < t.deliveryRateMin;
  return [
    {
      type: "delivery_rate",
      key,
      active: low,
      // More failed than sent: the runbook's rollback line (> 50 % failing).
      ...(low && rate! < 0.5 ? { severity: "P1" as const } : {}),
      reason: `${who}: ${o.sent} of ${finished} finished sends went out in the last hour (${rate === null ? "none finished" : pct(rate)}; alert under ${pct(t.deliveryRateMin)} with more than ${t.deliveryRateMinMessages})`,
    },
    {
      type: "error_rate",
      key,
      active: o.failed > t.errorsPerHour,
      reason: `${who}: ${o.failed} sends failed in the last hour (threshold ${t.errorsPerHour})`,
    },
  ];
}

export function evaluateDelivery(view: DeliveryView, config: MonitoringConfig): Evaluation[] {
  return [
    ...evaluateOne(view.overall, GLOBAL_KEY, "all accounts", config),
    ...view.perAccount.flatMap((a) => evaluateOne(a, a.accountId, `account ${a.accountId}`, config)),
  ];
}
