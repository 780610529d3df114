import { Api, TelegramApiError } from "node-telegram-bot-api";
import { scrubText } from "@wa-gateway/core";
import { type AlertChannel, type JobLog } from "@wa-gateway/core/longrun";

const DISABLED_TOKENS = new Set(["", "off", "none", "-"]);
const clients = new Map<string, Api>();

/** One client per token and origin for the life of the instance, so its per-chat limiter spans runs. */
function apiFor(token: string, apiRoot: string): Api {
  const key = `${apiRoot}\u0000${token}`;
  let api = clients.get(key);
  if (!api) {
    api = new Api(token, {
      apiRoot,
      timeoutMs: 10_000,
      maxRetries: 2,
      maxRetryAfterMs: 10_000,
      // Telegram allows about 20 messages a minute into one group.
      rateLimit: { perChat: 1 / 3 },
    });
    clients.set(key, api);
  }
  return api;
}
let reportedDisabled = false;

/** How long one run may spend on Telegram: well inside the watchdog's 50 s, with its writes after. */
export const TELEGRAM_BUDGET_MS = 25_000;

/**
 * Alerts over the Telegram Bot API. The library retries a 429 after `retry_after` and keeps to a
 * per-chat rate; the whole send is bounded by `budgetMs`, and it stops at the first message that
 * fails or does not fit, saying how many went. Errors carry no token (it is in the URL).
 */
export function telegramChannel(o: {
  token: string;
  chatId: string;
  apiRoot: string;
  log: JobLog;
  budgetMs?: number;
}): AlertChannel {
  const enabled = !DISABLED_TOKENS.has(o.token.trim()) && o.chatId.trim() !== "";
  if (!enabled) {
    if (!reportedDisabled)
      o.log.warn("telegram_alerts_off", { reason: "TELEGRAM_BOT_TOKEN or TELEGRAM_CHAT_ID not set" });
    reportedDisabled = true;
    return { enabled: false, send: async () => ({ delivered: 0, error: "alerts off" }) };
  }
  const api = apiFor(o.token, o.apiRoot);
  return {
    enabled: true,
    async send(messages) {
      const deadline = Date.now() + (o.budgetMs ?? TELEGRAM_BUDGET_MS);
      for (const [i, text] of messages.entries()) {
        const left = deadline - Date.now();
        if (left <= 0) return { delivered: i, error: "Telegram time budget spent" };
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            api.sendMessage({
              chat_id: o.chatId,
              text,
              parse_mode: "HTML",
              link_preview_options: { is_disabled: true },
            }),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error(`no answer from Telegram within the budget`)), left);
            }),
          ]);
        } catch (err) {
          const detail =
            err instanceof TelegramApiError
              ? `Telegram API ${err.errorCode}: ${err.description}`
              : (err as Error).message;
          return { delivered: i, error: scrubText(detail.split(o.token).join("[bot-token]")) };
        } finally {
          clearTimeout(timer);
        }
      }
      return { delivered: messages.length, error: null };
    },
  };
}
