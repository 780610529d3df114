import assert from "node:assert/strict";
import { Readable } from "node:stream";
import type { WASocket } from "@whiskeysockets/baileys";
import { loadPinnedBaileys, type Baileys } from "../../../worker/src/transport/baileys/module";
import {
  downloadMedia,
  inboundMediaOf,
  WHATSAPP_MEDIA_HOSTS,
} from "../../../worker/src/transport/baileys/inboundMedia";

/**
 * A file's URL is the sender's word: the worker fetches only from WhatsApp's media hosts, whatever
 * host a contact's message names (no request to an address of the sender's choosing).
 */
describe("where the worker fetches a contact's file from", () => {
  let B: Baileys;
  before(async () => (B = await loadPinnedBaileys()));

  /** The host downloadMedia asks Baileys to fetch from, for a message naming `url`. */
  async function hostFetched(url: string): Promise<string | undefined> {
    const key = { id: "3EB0AA", remoteJid: "40712345678@s.whatsapp.net", fromMe: false };
    const media = inboundMediaOf(
      B,
      {
        imageMessage: {
          url,
          directPath: "/v/t62.7118-24/abc.enc",
          mediaKey: Buffer.alloc(32, 1),
          mimetype: "image/jpeg",
        },
      },
      key,
    )!;
    let host: string | undefined;
    const spy = {
      ...B,
      downloadContentFromMessage: async (_m: unknown, _t: unknown, opts?: { host?: string }) => {
        host = opts?.host;
        return Readable.from([]) as never;
      },
    } as Baileys;
    await downloadMedia(spy, {} as WASocket, media.ref, WHATSAPP_MEDIA_HOSTS);
    return host;
  }

  it("fetches from the WhatsApp host a message names", async () => {
    assert.equal(
      await hostFetched("https://media-fra5-1.cdn.whatsapp.net/v/t62/abc.enc?oh=1"),
      "media-fra5-1.cdn.whatsapp.net",
    );
  });

  it("fetches from WhatsApp's default media host when a message names any other host", async () => {
    assert.equal(await hostFetched("http://169.254.169.254/computeMetadata/v1/"), "mmg.whatsapp.net");
    assert.equal(await hostFetched("https://whatsapp.net.attacker.example/x"), "mmg.whatsapp.net");
  });

  it("does not take a file that names a URL but no direct path: it stays a placeholder", () => {
    const key = { id: "3EB0AB", remoteJid: "40712345678@s.whatsapp.net", fromMe: false };
    const media = inboundMediaOf(
      B,
      { imageMessage: { url: "https://mmg.whatsapp.net/x", mediaKey: Buffer.alloc(32, 1), mimetype: "image/jpeg" } },
      key,
    );
    assert.equal(media, undefined);
  });
});
