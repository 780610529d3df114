import type { Readable } from "node:stream";
import { DisconnectCode } from "@wa-gateway/core/accounts";
import { inboundOfCloudMessage, receiptOfCloudStatus } from "@wa-gateway/core/cloudApi";
import type { CloudApiNumber } from "@wa-gateway/core/documents";
import type { Logger } from "../../logging/logger";
import { SendError, type AccountSocket, type InboundMessage, type SocketHandlers } from "../transport";
import type { CloudEventFeed, FeedEvent, Take } from "./cloudEventFeed";
import type { GraphClient } from "./graphClient";
import type { TemplateCatalogue } from "./templateCatalogue";
import type { TokenRecord } from "./tokenRecord";
import type { TokenSource } from "./tokenSource";

/** How often a held Cloud API account's token is described and its templates listed again (Meta reviews templates in minutes to hours). */
export const UPKEEP_INTERVAL_MS = 60 * 60_000;

/**
 * A Cloud API number as an account's "socket": no QR and no session. Connecting reads the
 * number's token from Secret Manager and checks it with Meta (`GET /{phone-number-id}`); then it
 * is open. Sends go to the Graph API; what Meta posts to the webhook comes from `cloudApiEvents`.
 *
 *   connect ──token read, number found──► open ──close()──► (nothing more)
 *                                          └─ now and hourly: records when the token expires (for
 *                                             the watchdog) and lists the business account's templates
 *                                             into the catalogue (a failed list keeps the last)
 *      └──token unreadable or refused, Meta unreachable──► close 503: the holder reconnects
 *         with its backoff, reading the token again (a rotated secret needs no action)
 *
 * A send goes out with our providerMessageId as its callback data, which every status of it
 * carries back: receipts find their message without rewriting ids, and a send whose answer was
 * lost (a timeout) is known sent once any status of it arrives. Before sending again, the
 * transport asks for one: so a message goes twice only if Meta's first status is later than the
 * outbox's retry backoff.
 */
export class CloudApiTransport {
  constructor(
    private readonly o: {
      graph: GraphClient;
      tokens: TokenSource;
      events: CloudEventFeed;
      catalogue: TemplateCatalogue;
      tokenRecord: TokenRecord;
      logger: Logger;
    },
  ) {}

  connect(accountId: string, number: CloudApiNumber, handlers: SocketHandlers): AccountSocket {
    const { graph, tokens, events, catalogue, tokenRecord, logger } = this.o;
    const { phoneNumberId, businessAccountId, tokenSecret } = number;
    // An object, not a `let`: the connect below awaits, and a close may land meanwhile.
    const socket = { state: "connecting" as "connecting" | "open" | "closed" };
    let unfollow = (): void => {};
    let upkeepTimer: NodeJS.Timeout | undefined;
    const stop = (): void => {
      socket.state = "closed";
      unfollow();
      clearInterval(upkeepTimer);
    };
    // A function, so the compiler does not keep a state narrowed before an await or a handler call.
    const stillClosed = (): boolean => socket.state === "closed";
    const close = (reason: string, code: number = DisconnectCode.unavailableService): void => {
      if (socket.state === "closed") return;
      stop();
      handlers.connection({ state: "close", code, reason });
    };
    const tokenRefused = (code: number): void => {
      tokens.forget(tokenSecret);
      close(`Meta refused the access token (${code})`, DisconnectCode.cloudApiTokenRefused);
    };
    const why = (failed: { code: number; title: string } | { reason: string }): string =>
      "title" in failed ? `${failed.code} ${failed.title}` : failed.reason;
    const upkeep = async (): Promise<void> => {
      const token = await tokens.read(tokenSecret);
      const info = await graph.tokenInfo(token);
      if (socket.state !== "open") return;
      if (info.kind === "token_refused") return tokenRefused(info.code);
      if (info.kind === "described") {
        const expiresAt = info.expiresAtMs === null ? null : new Date(info.expiresAtMs);
        const recorded = await tokenRecord.record(accountId, expiresAt, new Date());
        if (recorded !== "written") return; // no longer this worker's account
      } else {
        logger.warn({ accountId, why: why(info) }, "cloud_api_token_undescribed");
      }
      if (businessAccountId === undefined) {
        // Added before templates: no catalogue until an operator sets cloudApi.businessAccountId.
        return logger.warn(
          { accountId, why: "the account names no businessAccountId" },
          "cloud_api_templates_unlisted",
        );
      }
      const listed = await graph.templates(businessAccountId, token);
      if (socket.state !== "open") return;
      if (listed.kind === "token_refused") return tokenRefused(listed.code);
      if (listed.kind !== "listed") {
        return logger.warn({ accountId, businessAccountId, why: why(listed) }, "cloud_api_templates_unlisted");
      }
      const synced = await catalogue.replace(accountId, listed.templates, new Date());
      logger.info({ accountId, businessAccountId, ...synced }, "cloud_api_templates_synced");
    };
    const upkeepInBackground = (): void =>
      void upkeep().catch((err: Error) => logger.warn({ accountId, err: err.message }, "cloud_api_upkeep_failed"));
    const take = async (event: FeedEvent): Promise<Take> => {
      if (event.kind === "malformed") {
        logger.warn({ accountId, eventId: event.id, reason: event.reason }, "cloud_api_event_malformed");
        return "handled";
      }
      if (event.kind === "status") {
        const receipt = receiptOfCloudStatus(event.status);
        if (!receipt || receipt === "sent") return "handled";
        const applied = await handlers.receipt({ ...receipt, messageId: event.callbackData ?? receipt.messageId });
        if (applied === "failed") throw new Error(`the ${event.status.status} status could not be applied`);
        return applied === "applied" ? "handled" : "later";
      }
      const inbound = await ourIds(inboundOfCloudMessage(event.message));
      if (!inbound) return "handled";
      return (await handlers.message(inbound)) === "committed" ? "handled" : "later";
    };

    // A reaction names our message by Meta's wamid; the inbox knows it by our providerMessageId,
    // which every status of that send carried back. Not found (no status yet): kept aside, expires.
    const ourIds = async (inbound: InboundMessage | undefined): Promise<InboundMessage | undefined> => {
      const target = inbound?.change?.target;
      if (!inbound?.change || !target?.fromMe) return inbound;
      const ours = await events.sentAs(phoneNumberId, target.messageId);
      return ours ? { ...inbound, change: { ...inbound.change, target: { ...target, messageId: ours } } } : inbound;
    };

    void (async () => {
      // As a socket does: nothing is reported before connect() has returned the socket.
      await Promise.resolve();
      handlers.connection({ state: "connecting" });
      let token: string;
      try {
        token = await tokens.read(tokenSecret);
      } catch (err) {
        return close((err as Error).message, DisconnectCode.cloudApiTokenRefused);
      }
      const found = await graph.phoneNumber(phoneNumberId, token);
      if (found.kind !== "found") {
        const refused = found.kind === "token_refused";
        if (refused) tokens.forget(tokenSecret);
        logger.warn({ accountId, phoneNumberId, answer: found.kind }, "cloud_api_connect_failed");
        return close(
          `Meta: ${why(found)}`,
          refused ? DisconnectCode.cloudApiTokenRefused : DisconnectCode.unavailableService,
        );
      }
      if (socket.state === "closed") return;
      socket.state = "open";
      handlers.connection({ state: "open", meJid: `${found.displayPhoneNumber.replace(/\D/g, "")}@s.whatsapp.net` });
      if (stillClosed()) return; // the open handler may close it at once
      upkeepInBackground();
      upkeepTimer = setInterval(upkeepInBackground, UPKEEP_INTERVAL_MS);
      upkeepTimer.unref();
      unfollow = events.follow(phoneNumberId, take, {
        takeFailed: (err, eventId) =>
          logger.warn({ accountId, phoneNumberId, eventId, err: err.message }, "cloud_api_event_retry"),
        listenerFailed: (err) => {
          logger.warn({ accountId, phoneNumberId, err: err.message }, "cloud_api_events_listener_failed");
          close(`the events listener failed: ${err.message}`);
        },
      });
    })().catch((err: Error) => close(`connect failed: ${err.message}`));

    return {
      // A customer's file, by the media id its message named, with the number's token.
      downloadMedia: async (mediaId) => graph.media(mediaId, await tokens.read(tokenSecret)),
      async send(toJid, text, messageId, { template, media } = {}) {
        if (socket.state !== "open") throw new SendError("the Cloud API number is not connected", false);
        if (await events.sent(phoneNumberId, messageId)) return; // an earlier attempt went out
        const token = await tokens.read(tokenSecret); // cached: a rotated secret is read within the cache's life
        const to = toJid.split("@")[0]!.split(":")[0]!;
        const answer = template
          ? await graph.sendTemplate(phoneNumberId, token, { to, template, callbackData: messageId })
          : media
            ? await graph.sendMedia(phoneNumberId, token, {
                to,
                kind: media.kind,
                bytes: await wholeFile(media.open()),
                mimetype: media.mimetype,
                ...(media.fileName ? { fileName: media.fileName } : {}),
                caption: text,
                callbackData: messageId,
              })
            : await graph.sendText(phoneNumberId, token, { to, text, callbackData: messageId });
        switch (answer.kind) {
          case "sent":
            return;
          case "throttled":
            throw new SendError(`Cloud API ${answer.code} (throttled): ${answer.title}`, false, true);
          case "refused":
            throw new SendError(`Cloud API ${answer.code}: ${answer.title}`, answer.failure === "permanent");
          case "token_refused":
            tokenRefused(answer.code);
            throw new SendError(`Cloud API ${answer.code}: the access token was refused`, false);
          case "unreachable":
            throw new SendError(`the Graph API is unreachable (${answer.reason}): not sent`, false);
          case "unknown":
            throw new SendError(`no answer from the Graph API (${answer.reason}): it may have gone out`, false);
        }
      },
      // Nothing to unlink: the number stays registered with Meta; the account's removal ends its use here.
      async logout() {
        stop();
      },
      async close() {
        stop();
      },
    };
  }
}

/** A file read whole: Meta's upload takes it in one request (`open()` already stops at the entry's size). */
async function wholeFile(source: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
