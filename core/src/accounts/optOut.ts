/**
 * Opt-out keywords: a contact whose whole message is STOP (or another opt-out keyword) is
 * recorded as opted out of the account's messages; an opt-in keyword (START…) removes the
 * record. Only the whole message counts ("stop", "Stop!", "¡BAJA!"), never a word inside one
 * ("please stop the delivery"): a support conversation says "stop" and "cancel" all the time,
 * and a false opt-out silently cuts a customer off. docs/api.md "Opt-out (STOP)" lists the defaults.
 */

/** Opt-out defaults: English (the CTIA set minus CANCEL/END/QUIT, which customers use about orders), es, pt, fr, de, it. */
export const DEFAULT_OPT_OUT_KEYWORDS: readonly string[] = [
  // English
  "STOP",
  "STOPALL",
  "STOP ALL",
  "UNSUBSCRIBE",
  "OPT OUT",
  "OPTOUT",
  // Spanish
  "BAJA",
  "DAR DE BAJA",
  "DARME DE BAJA",
  "DETENER",
  "CANCELAR SUSCRIPCIÓN",
  // Portuguese
  "PARAR",
  "SAIR",
  "DESCADASTRAR",
  "CANCELAR INSCRIÇÃO",
  // French
  "ARRÊT",
  "ARRÊTER",
  "DÉSABONNER",
  "DÉSINSCRIRE",
  "SE DÉSABONNER",
  // German
  "STOPP",
  "ABMELDEN",
  "ABBESTELLEN",
  // Italian
  "DISISCRIVIMI",
  "CANCELLAMI",
  "ANNULLA ISCRIZIONE",
];

/** Opt-in defaults, the same languages. */
export const DEFAULT_OPT_IN_KEYWORDS: readonly string[] = [
  // English
  "START",
  "UNSTOP",
  "SUBSCRIBE",
  // Spanish and Portuguese
  "INICIAR",
  "ALTA",
  "SUSCRIBIR",
  "COMEÇAR",
  "VOLTAR",
  // French
  "DÉMARRER",
  "ABONNER",
  // German
  "ANMELDEN",
  // Italian
  "INIZIA",
  "ISCRIVIMI",
];

/** Normalised keyword lists (see normalizeKeyword), as the worker parsed them at boot. */
export interface OptOutKeywords {
  optOut: ReadonlySet<string>;
  optIn: ReadonlySet<string>;
}

export type OptOutMatch = { kind: "opt_out" | "opt_in"; keyword: string };

// Leading and trailing punctuation, symbols (emoji) and spaces: "¡Baja!", "STOP.", "stop 🛑".
const EDGES = /^[\p{P}\p{S}\p{Z}\s]+|[\p{P}\p{S}\p{Z}\s]+$/gu;

/**
 * What a message or a keyword is compared as: trimmed of surrounding punctuation, symbols and
 * spaces, inner spaces collapsed, accents dropped (ARRETER is ARRÊTER: phones do not always
 * type them), upper case. A message longer than any keyword could be is not normalised at all.
 */
export function normalizeKeyword(text: string): string {
  if (text.length > 100) return "";
  return text.normalize("NFD").replace(/\p{M}/gu, "").replace(EDGES, "").replace(/\s+/g, " ").toUpperCase();
}

/**
 * The lists, normalised; RangeError for an empty keyword, one of over 40 characters, or one in
 * both lists (a message cannot both opt out and in).
 */
export function optOutKeywords(optOut: readonly string[], optIn: readonly string[]): OptOutKeywords {
  const normalise = (list: readonly string[], what: string) =>
    new Set(
      list.map((raw) => {
        const keyword = normalizeKeyword(raw);
        if (keyword.length === 0) throw new RangeError(`${what}: an empty keyword (${JSON.stringify(raw)})`);
        if (keyword.length > 40) throw new RangeError(`${what}: ${JSON.stringify(raw)} is over 40 characters`);
        return keyword;
      }),
    );
  const out = normalise(optOut, "opt-out keywords");
  const inn = normalise(optIn, "opt-in keywords");
  const both = [...out].filter((k) => inn.has(k));
  if (both.length > 0) throw new RangeError(`both an opt-out and an opt-in keyword: ${both.join(", ")}`);
  return { optOut: out, optIn: inn };
}

export const DEFAULT_KEYWORDS: OptOutKeywords = optOutKeywords(DEFAULT_OPT_OUT_KEYWORDS, DEFAULT_OPT_IN_KEYWORDS);

/** Whether the whole message is an opt-out or opt-in keyword; `keyword` is the normalised one. */
export function matchOptOut(text: string, keywords: OptOutKeywords = DEFAULT_KEYWORDS): OptOutMatch | null {
  const said = normalizeKeyword(text);
  if (said.length === 0) return null;
  if (keywords.optOut.has(said)) return { kind: "opt_out", keyword: said };
  if (keywords.optIn.has(said)) return { kind: "opt_in", keyword: said };
  return null;
}

/** A comma-separated keyword list (an env variable); blank entries are dropped. */
export function parseKeywordList(value: string): string[] {
  return value
    .split(",")
    .map((k) => k.trim())
    .filter((k) => k.length > 0);
}

/**
 * The JID an operator means by a phone number (`+40 712-345-678` → `40712345678@s.whatsapp.net`)
 * or a JID given as is; null when it is neither.
 */
export function contactJidOf(input: string): string | null {
  const given = input.trim();
  if (given.includes("@")) return /^[^\s@]+@(s\.whatsapp\.net|lid|c\.us)$/.test(given) ? given : null;
  const digits = given.replace(/[\s().+-]/g, "");
  return /^\d{6,15}$/.test(digits) ? `${digits}@s.whatsapp.net` : null;
}
