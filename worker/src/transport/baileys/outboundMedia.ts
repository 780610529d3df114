import type { AnyMessageContent } from "@whiskeysockets/baileys";
import type { OutgoingMedia } from "../transport";

/**
 * A file as Baileys sends it: its bytes as a stream read from the media bucket (never a string
 * or `{ url }`: Baileys reads a string as a local path and fetches a URL itself), `text` its
 * caption. Baileys encrypts it to a temp file in TMPDIR and uploads it to WhatsApp's media host.
 *
 * No thumbnail is computed: it needs sharp or jimp (images) and ffmpeg (videos), and Baileys
 * would first copy the whole original to TMPDIR too. A voice note's length is the upload's
 * `seconds` when the app gave it.
 */
export function mediaContent(media: OutgoingMedia, text: string): AnyMessageContent {
  const stream = { stream: media.open() };
  const caption = text || undefined;
  const { mimetype } = media;
  switch (media.kind) {
    case "image":
      return { image: stream, caption, mimetype, jpegThumbnail: "" };
    case "video":
      return { video: stream, caption, mimetype, jpegThumbnail: "", ...seconds(media) };
    case "audio":
    case "voice":
      return { audio: stream, mimetype, ptt: media.kind === "voice", ...seconds(media) };
    case "document":
      return { document: stream, mimetype, fileName: media.fileName ?? "file", caption };
    case "sticker":
      return { sticker: stream, mimetype };
  }
}

const seconds = (media: OutgoingMedia) => (media.seconds ? { seconds: media.seconds } : {});
