import { DELIVERY_WINDOW_MS, evaluateDelivery, type DeliveryView } from "../deliveryRates";
import type { ConfigSource } from "../ports";
import { announce, incidentsAfter, type AlertDeps } from "./runAlerting";

/** What the delivery check reads: the outbox's outcomes in [fromMs, toMs). */
export interface DeliveryReads {
  deliveryOutcomes(fromMs: number, toMs: number): Promise<DeliveryView>;
}

export interface DeliveryCheckDeps extends AlertDeps {
  config: ConfigSource;
  deliveries: DeliveryReads;
}

/** Every 15 minutes: delivery rate and error rate over the last hour, overall and per account. */
export async function runDeliveryCheck(deps: DeliveryCheckDeps, scheduleMs: number, nowMs = scheduleMs) {
  const { config } = await deps.config.loadConfig();
  const view = await deps.deliveries.deliveryOutcomes(nowMs - DELIVERY_WINDOW_MS, nowMs);
  const evaluations = evaluateDelivery(view, config);
  const applied = await deps.incidents.applyIncidents({
    nowMs,
    decide: incidentsAfter(evaluations, nowMs, config.alertRepeatSec * 1000),
    run: { job: "delivery", scheduleMs },
  });
  if (applied.status === "duplicate_run") return { status: "duplicate_run" as const };
  const alerts = await announce(deps, applied.actions, nowMs);
  deps.log.info("delivery_checked", { overall: view.overall, accounts: view.perAccount.length });
  return { status: "done" as const, evaluations, actions: applied.actions, alerts };
}
