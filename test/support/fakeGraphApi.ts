import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { signatureOf } from "@wa-gateway/core/cloudApi";

/** One text send the fake Graph API took, as Meta would have. */
export interface GraphSendRecord {
  phoneNumberId: string;
  to: string;
  text: string;
  callbackData: string | undefined;
  wamid: string;
}

/** What the next calls get instead of a wamid: a Graph error, or no answer at all. */
type Trouble = { kind: "error"; status: number; code: number; message: string } | { kind: "hang" };

/**
 * Meta's Graph API for the Cloud API's sends, on 127.0.0.1 (`WA_CLOUD_API_BASE_URL`): it checks
 * the number's bearer token, records each send and answers with a new wamid, or with the trouble
 * a test asked for (an error code, a hang). It also plays Meta's side of the webhook: signed
 * posts of customers' messages and of the statuses of the sends it took.
 */
export class FakeGraphApi {
  readonly sends: GraphSendRecord[] = [];
  /** Send requests with a valid token, answered or not. */
  attempts = 0;
  private readonly tokens = new Map<string, string>();
  private readonly troubles: Trouble[] = [];
  private readonly hanging = new Set<ServerResponse>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeGraphApi> {
    const server = createServer();
    const graph = new FakeGraphApi(server);
    server.on("request", (req, res) => void graph.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return graph;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Where Meta posts this app's webhooks, and the app secret it signs them with. */
  webhook: { url: string; appSecret: string } | undefined;

  /** Posts one `messages` change for the number, signed as Meta signs it; resolves with the HTTP status. */
  async postWebhook(phoneNumberId: string, value: Record<string, unknown>): Promise<number> {
    if (!this.webhook) throw new Error("no webhook set");
    const raw = JSON.stringify({
      object: "whatsapp_business_account",
      entry: [
        {
          id: "WABA-FAKE",
          changes: [
            {
              field: "messages",
              value: { messaging_product: "whatsapp", metadata: { phone_number_id: phoneNumberId }, ...value },
            },
          ],
        },
      ],
    });
    const response = await fetch(this.webhook.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-hub-signature-256": signatureOf(this.webhook.appSecret, Buffer.from(raw)),
      },
      body: raw,
    });
    return response.status;
  }

  /** A customer's text to the number, as Meta posts it; resolves with the message's wamid. */
  async customerWrites(phoneNumberId: string, from: string, text: string, name = "Customer"): Promise<string> {
    const wamid = `wamid.${randomBytes(12).toString("base64url")}`;
    const status = await this.postWebhook(phoneNumberId, {
      contacts: [{ wa_id: from, profile: { name } }],
      messages: [
        { from, id: wamid, timestamp: `${Math.floor(Date.now() / 1000)}`, type: "text", text: { body: text } },
      ],
    });
    if (status !== 200) throw new Error(`the webhook answered ${status}`);
    return wamid;
  }

  /** A customer's reaction to one of the sends Meta took, as Meta posts it (naming the send by its wamid). */
  async customerReacts(send: GraphSendRecord, emoji: string): Promise<void> {
    const answer = await this.postWebhook(send.phoneNumberId, {
      contacts: [{ wa_id: send.to, profile: { name: "Customer" } }],
      messages: [
        {
          from: send.to,
          id: `wamid.${randomBytes(12).toString("base64url")}`,
          timestamp: `${Math.floor(Date.now() / 1000)}`,
          type: "reaction",
          reaction: { message_id: send.wamid, emoji },
        },
      ],
    });
    if (answer !== 200) throw new Error(`the webhook answered ${answer}`);
  }

  /** Meta's status of a send it took (sent, delivered, read), with the send's callback data, as Meta posts it. */
  async statusOf(send: GraphSendRecord, status: "sent" | "delivered" | "read"): Promise<void> {
    const answer = await this.postWebhook(send.phoneNumberId, {
      statuses: [
        {
          id: send.wamid,
          status,
          timestamp: `${Math.floor(Date.now() / 1000)}`,
          recipient_id: send.to,
          ...(send.callbackData ? { biz_opaque_callback_data: send.callbackData } : {}),
        },
      ],
    });
    if (answer !== 200) throw new Error(`the webhook answered ${answer}`);
  }

  /** A Cloud API number and the access token that may send from it. */
  addNumber(phoneNumberId: string, token: string): void {
    this.tokens.set(phoneNumberId, token);
  }

  /** The next `times` sends are answered with Meta's error `code` (HTTP `status`). */
  refuseNext(times: number, error: { status: number; code: number; message: string }): void {
    for (let i = 0; i < times; i++) this.troubles.push({ kind: "error", ...error });
  }

  /** The next `times` sends are taken (they go out) and never answered. */
  hangNext(times: number): void {
    for (let i = 0; i < times; i++) this.troubles.push({ kind: "hang" });
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const number = /^\/v\d+\.\d+\/(\d+)(?:\?.*)?$/.exec(req.url ?? "");
    const match = /^\/v\d+\.\d+\/([^/]+)\/messages$/.exec(req.url ?? "");
    const answer = (status: number, body: unknown): void => {
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    const graphError = (status: number, code: number, message: string): void =>
      answer(status, { error: { message, type: "OAuthException", code, fbtrace_id: "fake" } });
    if (req.method === "GET" && number) {
      const phoneNumberId = number[1]!;
      const token = this.tokens.get(phoneNumberId);
      if (!token || req.headers.authorization !== `Bearer ${token}`) {
        return graphError(401, 190, "Error validating access token");
      }
      return answer(200, {
        id: phoneNumberId,
        display_phone_number: `+1 555-${phoneNumberId.slice(-7)}`,
        verified_name: "Fake Business",
      });
    }
    if (req.method !== "POST" || !match) return graphError(400, 100, "Unsupported request");
    const phoneNumberId = decodeURIComponent(match[1]!);
    const token = this.tokens.get(phoneNumberId);
    if (!token || req.headers.authorization !== `Bearer ${token}`) {
      return graphError(401, 190, "Error validating access token");
    }
    this.attempts++;
    const trouble = this.troubles.shift();
    if (trouble?.kind === "error") return graphError(trouble.status, trouble.code, trouble.message);
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
      to: string;
      type: string;
      text?: { body: string };
      biz_opaque_callback_data?: string;
    };
    if (body.type !== "text" || typeof body.text?.body !== "string") {
      return graphError(400, 100, "(#100) Invalid parameter");
    }
    const wamid = `wamid.${randomBytes(12).toString("base64url")}`;
    this.sends.push({
      phoneNumberId,
      to: body.to,
      text: body.text.body,
      callbackData: body.biz_opaque_callback_data,
      wamid,
    });
    // Taken, but the answer is lost: the message goes out and the sender never hears of it.
    if (trouble?.kind === "hang") {
      this.hanging.add(res);
      return;
    }
    answer(200, {
      messaging_product: "whatsapp",
      contacts: [{ input: body.to, wa_id: body.to }],
      messages: [{ id: wamid }],
    });
  }
}
