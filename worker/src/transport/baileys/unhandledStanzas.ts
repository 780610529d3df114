import type { BinaryNode } from "@whiskeysockets/baileys";
import type { UnhandledStanza } from "../transport";

/**
 * What WhatsApp sends that rc14 (or this gateway, around it) handles. rc14 drops anything else
 * without a word: that is how `companion_reg_refresh` went unseen for days (Baileys #2737).
 * Read from rc14's `ws.on('CB:…')` handlers and `processNotification`'s switch.
 */
const HANDLED_TAGS = new Set([
  "iq",
  "message",
  "receipt",
  "notification",
  "call",
  "ack",
  "success",
  "failure",
  "stream:error",
  "xmlstreamend",
  "ib",
  "presence",
  "chatstate",
]);
const HANDLED_NOTIFICATIONS = new Set([
  "newsletter",
  "mex",
  "w:gp2",
  "mediaretry",
  "encrypt",
  "devices",
  "server_sync",
  "picture",
  "account_sync",
  "link_code_companion_reg",
  "privacy_token",
  // The transport's own handler (baileysTransport.ts).
  "companion_reg_refresh",
]);
const HANDLED_IB = new Set(["dirty", "downgrade_webclient", "edge_routing", "offline", "offline_preview"]);

/** A type as a metric label: what WhatsApp names are made of, bounded in length. */
const label = (raw: string | undefined): string => {
  const clean = (raw ?? "").replace(/[^A-Za-z0-9_:.-]/g, "_").slice(0, 40);
  return clean.length > 0 ? clean : "none";
};

const children = (node: BinaryNode): BinaryNode[] => (Array.isArray(node.content) ? node.content : []);

/**
 * A stanza's shape without its content: tags and attribute names, down to `depth` levels, never
 * a value (ids, JIDs, keys and text stay out of the logs).
 */
export function shapeOf(node: BinaryNode, depth = 3): string {
  const attrs = Object.keys(node.attrs ?? {}).sort();
  const inner = depth > 1 ? children(node).map((child) => shapeOf(child, depth - 1)) : [];
  const body =
    inner.length > 0
      ? `>${[...new Set(inner)].join("")}</${node.tag}>`
      : node.content instanceof Uint8Array || typeof node.content === "string"
        ? `>…</${node.tag}>`
        : "/>";
  return `<${node.tag}${attrs.map((a) => ` ${a}`).join("")}${body}`;
}

/** What rc14 and the transport leave unhandled in a frame from WhatsApp, or undefined. */
export function unhandledStanza(node: BinaryNode): UnhandledStanza | undefined {
  if (!HANDLED_TAGS.has(node.tag)) return { kind: "stanza", type: label(node.tag), shape: shapeOf(node) };
  if (node.tag === "notification" && !HANDLED_NOTIFICATIONS.has(node.attrs.type ?? ""))
    return { kind: "notification", type: label(node.attrs.type), shape: shapeOf(node) };
  if (node.tag === "ib") {
    const child = children(node)[0]?.tag;
    if (child !== undefined && !HANDLED_IB.has(child)) return { kind: "ib", type: label(child), shape: shapeOf(node) };
  }
  return undefined;
}
