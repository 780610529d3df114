import type { WAMessageKey, WASocket, proto } from "@whiskeysockets/baileys";
import type { Logger } from "../../logging/logger";
import type { SentMessages } from "../transport";
import type { Baileys } from "./module";

/**
 * Baileys' `getMessage`: a contact's phone that could not decrypt one of our sends asks for it
 * again, and Baileys re-encrypts what this returns. The exact text is read from its outbox entry
 * (so a restarted worker still has it), a file's whole message (URL, media key) from where the
 * send kept it. Baileys re-encrypts for whichever chat asked, by id alone: only the chat it went
 * to gets it.
 */
export function resendOf(
  B: Baileys,
  socket: () => WASocket,
  sent: SentMessages,
  logger: Logger,
): (key: WAMessageKey) => Promise<proto.IMessage | undefined> {
  /** The chat that asked (`requester`) is `toJid`, by the same form or the other (LID or number). */
  const sameChat = async (requester: string | null | undefined, toJid: string): Promise<boolean> => {
    if (!requester) return false;
    const asked = B.jidNormalizedUser(requester);
    const to = B.jidNormalizedUser(toJid);
    if (asked === to) return true;
    const { lidMapping } = socket().signalRepository;
    const other = B.isLidUser(to) ? await lidMapping.getPNForLID(to) : await lidMapping.getLIDForPN(to);
    return !!other && B.jidNormalizedUser(other) === asked;
  };
  return async (key) => {
    if (!key.id || key.fromMe === false) return undefined;
    const message = await sent.messageOf(key.id).catch((err: Error) => {
      logger.warn({ messageId: key.id, err: err.message }, "resend_text_unreadable");
      return undefined;
    });
    if (!message) return undefined;
    if (!(await sameChat(key.remoteJid, message.toJid))) {
      logger.warn({ messageId: key.id }, "resend_refused_other_chat");
      return undefined;
    }
    return message.media
      ? B.proto.Message.decode(Buffer.from(message.media, "base64"))
      : { conversation: message.text };
  };
}
