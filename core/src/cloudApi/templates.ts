import { z } from "zod";

/**
 * A Cloud API account's approved message templates, as the gateway keeps them: synced from
 * Meta's `GET /{waba-id}/message_templates`, so an app can list them and a send of an unknown or
 * unapproved one is refused before it reaches Meta. Only body parameters ({{1}}, {{2}}, …) are
 * filled in; a template whose header or buttons take parameters is listed but not sendable here.
 */

/** A template's id in the catalogue: its name and language (neither contains a dot). */
export function templateIdOf(name: string, language: string): string {
  return `${name}.${language}`;
}

/** How many positional parameters a body takes: its highest {{n}}. */
export function parameterCountOf(body: string): number {
  let highest = 0;
  for (const m of body.matchAll(/\{\{\s*(\d+)\s*\}\}/g)) highest = Math.max(highest, Number(m[1]));
  return highest;
}

/** The body as the customer reads it, each {{n}} replaced by its parameter. */
export function renderTemplate(body: string, parameters: readonly string[]): string {
  return body.replace(/\{\{\s*(\d+)\s*\}\}/g, (whole, n: string) => parameters[Number(n) - 1] ?? whole);
}

const component = z.looseObject({
  type: z.string(),
  format: z.string().optional(),
  text: z.string().optional(),
  buttons: z.array(z.looseObject({ type: z.string().optional(), url: z.string().optional() })).optional(),
});
type Component = z.infer<typeof component>;

/** Buttons that need nothing at send time (a URL button does only when its URL has a variable). */
const STATIC_BUTTONS = new Set(["QUICK_REPLY", "PHONE_NUMBER", "URL"]);
const hasVariable = (text: string | undefined) => /\{\{/.test(text ?? "");

/**
 * Whether a component needs nothing but body parameters: the body, a footer, a text header with no
 * variable, static buttons. Anything else (a media or location header, OTP, copy-code, flow or
 * catalogue buttons, carousels, limited-time offers, kinds Meta adds later) needs parameters the
 * gateway does not send.
 */
function isStatic(c: Component): boolean {
  switch (c.type.toUpperCase()) {
    case "BODY":
    case "FOOTER":
      return true;
    case "HEADER":
      return (c.format ?? "TEXT").toUpperCase() === "TEXT" && !hasVariable(c.text);
    case "BUTTONS":
      return (c.buttons ?? []).every((b) => STATIC_BUTTONS.has((b.type ?? "").toUpperCase()) && !hasVariable(b.url));
    default:
      return false;
  }
}

/** One template as Meta lists it (only the fields the catalogue keeps; Meta sends more). */
export const graphTemplate = z.looseObject({
  name: z.string(),
  language: z.string(),
  status: z.string(),
  category: z.string().optional(),
  parameter_format: z.string().optional(),
  components: z.array(component).default([]),
});
export type GraphTemplate = z.infer<typeof graphTemplate>;

/** A template as the catalogue keeps it. */
export interface TemplateEntry {
  name: string;
  language: string;
  /** Meta's review status: only APPROVED ones can be sent. */
  status: string;
  category: string | null;
  /** The body text with its {{n}} placeholders (null: the template has no body). */
  body: string | null;
  parameterCount: number;
  /**
   * Whether the gateway can send it: positional body parameters only. Named parameters, a header
   * with a parameter or media, buttons with a parameter, authentication and any other component
   * kind need parameters this gateway does not fill in.
   */
  sendable: boolean;
}

export function templateEntryOf(t: GraphTemplate): TemplateEntry {
  const body = t.components.find((c) => c.type.toUpperCase() === "BODY")?.text ?? null;
  const named = (t.parameter_format ?? "POSITIONAL").toUpperCase() === "NAMED";
  // Authentication templates always take the one-time code as a button parameter.
  const authentication = (t.category ?? "").toUpperCase() === "AUTHENTICATION";
  return {
    name: t.name,
    language: t.language,
    status: t.status.toUpperCase(),
    category: t.category ?? null,
    body,
    parameterCount: body ? parameterCountOf(body) : 0,
    sendable: !named && !authentication && t.components.every(isStatic),
  };
}
