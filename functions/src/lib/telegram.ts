import { Api, TelegramApiError } from "node-telegram-bot-api";
import { scrubText, type AlertChannel, type JobLog } from "@wa-gateway/core";

const DISABLED_TOKENS = new Set(["", "off", "none", "-"]);
const clients = new Map<string, Api>();

/** One client per token and origin for the life of the instance, so its per-chat limiter spans runs. */
function apiFor(token: string, apiRoot: string): Api {
  const key = `${apiRoot}\u0000${token}`;
  let api = clients.get(key);
  if (!api) {
    api = new Api(token, {
      apiRoot,
      timeoutMs: 15_000,
      maxRetries: 3,
      maxRetryAfterMs: 30_000,
      // Telegram allows about 20 messages a minute into one group.
      rateLimit: { perChat: 1 / 3 },
    });
    clients.set(key, api);
  }
  return api;
}
let reportedDisabled = false;

/**
 * Alerts over the Telegram Bot API. The library retries a 429 after `retry_after` and keeps to a
 * per-chat rate; errors are rethrown with the token scrubbed, since the token is in the URL.
 */
export function telegramChannel(o: { token: string; chatId: string; apiRoot: string; log: JobLog }): AlertChannel {
  const enabled = !DISABLED_TOKENS.has(o.token.trim()) && o.chatId.trim() !== "";
  if (!enabled) {
    if (!reportedDisabled)
      o.log.warn("telegram_alerts_off", { reason: "TELEGRAM_BOT_TOKEN or TELEGRAM_CHAT_ID not set" });
    reportedDisabled = true;
    return { enabled: false, send: async () => undefined };
  }
  const api = apiFor(o.token, o.apiRoot);
  return {
    enabled: true,
    async send(messages) {
      for (const text of messages) {
        try {
          await api.sendMessage({
            chat_id: o.chatId,
            text,
            parse_mode: "HTML",
            link_preview_options: { is_disabled: true },
          });
        } catch (err) {
          const detail =
            err instanceof TelegramApiError
              ? `Telegram API ${err.errorCode}: ${err.description}`
              : (err as Error).message;
          throw new Error(scrubText(detail.split(o.token).join("[bot-token]")));
        }
      }
    },
  };
}
