import { renderTemplate, type TemplateEntry } from "../cloudApi/templates";
import type { GatewayError } from "./errors";
import type { TemplateToSend } from "./requests";
import type { SendSnapshot } from "./send";

/** Why a template may not be sent, as a refusal's code and message; undefined: it may. */
export function templateRefusal(
  snap: Extract<SendSnapshot, { kind: "fresh" }>,
  asked: TemplateToSend,
): [GatewayError["code"], string] | undefined {
  const named = `${asked.name} (${asked.language})`;
  if (snap.account?.transport !== "cloud_api") {
    return ["failed-precondition", "template: templates are sent by Cloud API accounts only"];
  }
  const entry = snap.template;
  if (!entry) {
    return [
      "not-found",
      `template: ${named} is not among this account's templates (synced from Meta when it connects, then hourly)`,
    ];
  }
  if (entry.status !== "APPROVED") {
    return [
      "failed-precondition",
      `template: ${named} is ${entry.status} at Meta; only an APPROVED template can be sent`,
    ];
  }
  if (!entry.sendable) {
    return [
      "failed-precondition",
      `template: ${named} needs header, button or named parameters, which the gateway does not fill in`,
    ];
  }
  if (asked.parameters.length !== entry.parameterCount) {
    return [
      "invalid-argument",
      `template.parameters: ${named} takes ${entry.parameterCount} body parameter(s), got ${asked.parameters.length}`,
    ];
  }
  return undefined;
}

/** What the thread shows for a template send: its body as the customer reads it. */
export function templateText(entry: TemplateEntry, parameters: readonly string[]): string {
  return entry.body === null ? `[template ${entry.name}]` : renderTemplate(entry.body, parameters);
}
