import { createServer, type IncomingMessage } from "node:http";

/**
 * A stand-in for Telegram's Bot API on 127.0.0.1: the edge of the world the alerting talks to.
 * It answers `sendMessage` (and `getMe`) the way api.telegram.org does, records every message,
 * and can be told to answer 429 with `retry_after` to exercise the client's back-off.
 */
export interface ReceivedMessage {
  chatId: string;
  text: string;
  parseMode: string | undefined;
  at: number;
}

export interface FakeTelegram {
  readonly apiRoot: string;
  readonly messages: ReceivedMessage[];
  /** Requests seen, including refused ones. */
  readonly requests: { method: string; status: number; at: number }[];
  /** The next `count` sendMessage calls get 429 with this retry_after (seconds). */
  rateLimitNext(count: number, retryAfterSec: number): void;
  /** Lets `afterAccepting` messages through, then refuses the next `count` with `status`. */
  refuseNext(count: number, options?: { afterAccepting?: number; status?: number }): void;
  /** The next `count` sendMessage requests are never answered (a Telegram that hangs). */
  hangNext(count: number): void;
  stop(): Promise<void>;
}

async function readParams(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString("utf8");
  if ((req.headers["content-type"] ?? "").includes("application/json")) {
    return Object.fromEntries(
      Object.entries(JSON.parse(body || "{}") as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
    );
  }
  return Object.fromEntries(new URLSearchParams(body));
}

export async function startFakeTelegram(options: {
  token: string;
  port?: number;
  onMessage?: (message: ReceivedMessage) => void;
}): Promise<FakeTelegram> {
  const messages: ReceivedMessage[] = [];
  const requests: FakeTelegram["requests"] = [];
  let limited = { count: 0, retryAfterSec: 0 };
  let refusing = { count: 0, afterAccepting: 0, status: 400 };
  let hanging = 0;
  let nextId = 1;

  const server = createServer((req, res) => {
    const reply = (status: number, body: unknown, method: string) => {
      requests.push({ method, status, at: Date.now() });
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(req.url ?? "");
    if (!match) return reply(404, { ok: false, error_code: 404, description: "Not Found" }, "?");
    const [, token, method] = match;
    if (token !== options.token)
      return reply(401, { ok: false, error_code: 401, description: "Unauthorized" }, method!);
    void readParams(req).then(
      (params) => {
        if (method === "getMe")
          return reply(200, { ok: true, result: { id: 1, is_bot: true, first_name: "fake" } }, method);
        if (method !== "sendMessage")
          return reply(404, { ok: false, error_code: 404, description: "Not Found" }, method!);
        if (hanging > 0) {
          hanging--;
          requests.push({ method, status: 0, at: Date.now() });
          return; // no answer, ever
        }
        if (refusing.count > 0 && refusing.afterAccepting === 0) {
          refusing.count--;
          return reply(refusing.status, { ok: false, error_code: refusing.status, description: "Refused" }, method);
        }
        if (refusing.count > 0) refusing.afterAccepting--;
        if (limited.count > 0) {
          limited.count--;
          return reply(
            429,
            {
              ok: false,
              error_code: 429,
              description: `Too Many Requests: retry after ${limited.retryAfterSec}`,
              parameters: { retry_after: limited.retryAfterSec },
            },
            method,
          );
        }
        if (!params.chat_id || !params.text) {
          return reply(400, { ok: false, error_code: 400, description: "Bad Request: message text is empty" }, method);
        }
        const message = { chatId: params.chat_id, text: params.text, parseMode: params.parse_mode, at: Date.now() };
        messages.push(message);
        options.onMessage?.(message);
        reply(
          200,
          {
            ok: true,
            result: {
              message_id: nextId++,
              date: Math.floor(Date.now() / 1000),
              chat: { id: Number(params.chat_id) || 0, type: "group" },
              text: params.text,
            },
          },
          method,
        );
      },
      () => reply(400, { ok: false, error_code: 400, description: "Bad Request" }, method!),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    apiRoot: `http://127.0.0.1:${port}`,
    messages,
    requests,
    rateLimitNext(count, retryAfterSec) {
      limited = { count, retryAfterSec };
    },
    refuseNext(count, { afterAccepting = 0, status = 400 } = {}) {
      refusing = { count, afterAccepting, status };
    },
    hangNext(count) {
      hanging = count;
    },
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
