import type { WAMessage, WAMessageKey, WASocket, proto } from "@whiskeysockets/baileys";
import type { InboundMessage, InboundRef } from "../transport";
import { inboundMediaOf } from "./inboundMedia";
import type { Baileys } from "./module";

/** Content that is no message for the inbox: protocol traffic, poll votes, pins, key distribution. */
const NOT_A_MESSAGE = new Set([
  "protocolMessage",
  "senderKeyDistributionMessage",
  "messageContextInfo",
  "pollUpdateMessage",
  "encReactionMessage",
  "keepInChatMessage",
  "pinInChatMessage",
  "encEventResponseMessage",
]);

type Content = Pick<InboundMessage, "kind" | "text"> & { change?: InboundMessage["change"] };

/** The text of a plain or extended text message (an edit's new content), else undefined. */
const textOf = (m: proto.IMessage | null | undefined): string | undefined =>
  m?.conversation ??
  m?.extendedTextMessage?.text ??
  m?.imageMessage?.caption ??
  m?.videoMessage?.caption ??
  m?.documentMessage?.caption ??
  undefined;

/**
 * What a WhatsApp message is: a kind and its text (a caption or a name for media and the like),
 * or a change (reaction, edit, deletion) of an earlier message of the same chat, or undefined for
 * traffic that is no message at all. `fromMe`: whether the message itself is the account's.
 */
function contentOf(B: Baileys, message: proto.IMessage | null | undefined, fromMe: boolean): Content | undefined {
  const content = B.normalizeMessageContent(message);
  if (!content) return undefined;
  if (content.reactionMessage?.key?.id) {
    // Baileys has turned the target key to our point of view (fromMe: the target is ours).
    const { key, text } = content.reactionMessage;
    return {
      text: "",
      change: { target: { messageId: key.id!, fromMe: key.fromMe === true }, type: "reaction", emoji: text ?? "" },
    };
  }
  const protocol = content.protocolMessage;
  if (protocol?.key?.id) {
    // One edits or deletes only one's own messages: the target is the sender's.
    const target = { messageId: protocol.key.id, fromMe };
    const { Type } = B.proto.Message.ProtocolMessage;
    if (protocol.type === Type.REVOKE) return { text: "", change: { target, type: "revoke" } };
    if (protocol.type === Type.MESSAGE_EDIT) {
      const text = textOf(B.normalizeMessageContent(protocol.editedMessage));
      if (text !== undefined) return { text: "", change: { target, type: "edit", text } };
    }
    return undefined;
  }
  if (content.conversation) return { kind: "text", text: content.conversation };
  if (content.extendedTextMessage?.text) return { kind: "text", text: content.extendedTextMessage.text };
  const type = B.getContentType(content);
  if (!type || NOT_A_MESSAGE.has(type)) return undefined;
  if (content.imageMessage) return { kind: "image", text: content.imageMessage.caption ?? "" };
  if (content.videoMessage) return { kind: "video", text: content.videoMessage.caption ?? "" };
  if (content.audioMessage) return { kind: content.audioMessage.ptt ? "voice" : "audio", text: "" };
  if (content.documentMessage) {
    const { caption, fileName } = content.documentMessage;
    return { kind: "document", text: caption || fileName || "" };
  }
  if (content.stickerMessage) return { kind: "sticker", text: "" };
  const place = content.locationMessage ?? content.liveLocationMessage;
  if (place) {
    const named = place as { name?: string | null; address?: string | null; caption?: string | null };
    return { kind: "location", text: named.name || named.address || named.caption || "" };
  }
  if (content.contactMessage) return { kind: "contact", text: content.contactMessage.displayName ?? "" };
  if (content.contactsArrayMessage) return { kind: "contact", text: content.contactsArrayMessage.displayName ?? "" };
  const poll = content.pollCreationMessage ?? content.pollCreationMessageV2 ?? content.pollCreationMessageV3;
  if (poll) return { kind: "poll", text: poll.name ?? "" };
  return { kind: "unknown", text: "" };
}

/**
 * A WhatsApp message of a 1:1 chat as the gateway stores it: a contact's, or one typed on the
 * account's phone (`fromMe`); undefined for the echo of our own sends (`isOwnSend`) and for
 * traffic that is no message.
 */
export async function inboundOf(
  B: Baileys,
  socket: WASocket,
  message: WAMessage,
  isOwnSend: (messageId: string) => boolean,
): Promise<InboundMessage | undefined> {
  const { key } = message;
  // Groups, status, broadcasts and newsletters never get here: `shouldIgnoreJid` drops them.
  if (!key.id || !key.remoteJid || !message.message) return undefined;
  const fromMe = key.fromMe === true;
  if (fromMe && isOwnSend(key.id)) return undefined;
  const content = contentOf(B, message.message, fromMe);
  if (!content) return undefined;
  const normalised = content.change ? undefined : B.normalizeMessageContent(message.message);
  const media = normalised ? inboundMediaOf(B, normalised, key) : undefined;
  const seconds = Number(message.messageTimestamp ?? 0);
  return {
    messageId: key.id,
    ...(await chatOf(B, socket, key.remoteJid, key.remoteJidAlt)),
    ...(fromMe ? { fromMe } : {}),
    text: content.text,
    ...(content.kind ? { kind: content.kind } : {}),
    ...(content.change ? { change: content.change } : {}),
    ...(media ? { media } : {}),
    timestamp: seconds > 0 ? new Date(seconds * 1000) : new Date(),
  };
}

/**
 * What a message delivered again is known by when it cannot be decrypted (its Signal keys were
 * used by the delivery whose receipt never left): the stanza's id, chat and writer.
 */
export async function inboundRefOf(B: Baileys, socket: WASocket, key: WAMessageKey): Promise<InboundRef | undefined> {
  if (!key.id || !key.remoteJid) return undefined;
  return {
    messageId: key.id,
    ...(await chatOf(B, socket, key.remoteJid, key.remoteJidAlt)),
    ...(key.fromMe === true ? { fromMe: true } : {}),
  };
}

/**
 * One contact, one thread: kept under its phone number when WhatsApp tells it (alongside the
 * LID, or from Baileys' LID mapping), so replies to an outbound thread (addressed by number)
 * land in that thread; the LID goes along so a LID-only message finds the same thread.
 */
async function chatOf(
  B: Baileys,
  socket: WASocket,
  remoteJid: string,
  remoteJidAlt: string | null | undefined,
): Promise<Pick<InboundMessage, "fromJid" | "fromJidAlt">> {
  const me = socket.user;
  const isMe = (jid: string) => B.areJidsSameUser(jid, me?.id) || B.areJidsSameUser(jid, me?.lid);
  const alt = remoteJidAlt && !isMe(remoteJidAlt) ? remoteJidAlt : undefined;
  let pn: string | undefined;
  let lid: string | undefined;
  if (B.isLidUser(remoteJid)) {
    lid = remoteJid;
    // A mapping that cannot be read now (session store down) leaves the LID: never lose the message for it.
    pn =
      alt && B.isPnUser(alt)
        ? alt
        : ((await socket.signalRepository.lidMapping.getPNForLID(lid).catch(() => null)) ?? undefined);
  } else {
    pn = remoteJid;
    lid = alt && B.isLidUser(alt) ? alt : undefined;
  }
  return {
    fromJid: B.jidNormalizedUser(pn ?? lid),
    ...(pn && lid ? { fromJidAlt: B.jidNormalizedUser(lid) } : {}),
  };
}
