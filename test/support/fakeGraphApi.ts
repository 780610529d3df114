import { createHash, randomBytes, randomInt } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { signatureOf } from "@wa-gateway/core/cloudApi";

/** One send the fake Graph API took, as Meta would have: a text, or a template (its body rendered as `text`). */
export interface GraphSendRecord {
  phoneNumberId: string;
  to: string;
  text: string;
  callbackData: string | undefined;
  wamid: string;
  template?: { name: string; language: string; parameters: string[] };
  /** A file the number uploaded (`POST /{phone-number-id}/media`) and sent by its id; `text` is its caption. */
  media?: { type: string; bytes: Buffer; mimeType: string; filename?: string };
}

/** The message types that carry a file, by media id. */
const MEDIA_TYPES = new Set(["image", "video", "audio", "document", "sticker"]);

/** The named parts of a multipart/form-data body (FormData as fetch sends it). */
function formParts(body: Buffer, boundary: string): Map<string, { data: Buffer; type?: string; filename?: string }> {
  const parts = new Map<string, { data: Buffer; type?: string; filename?: string }>();
  const delimiter = Buffer.from(`--${boundary}`);
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next === -1) break;
    const part = body.subarray(start + delimiter.length + 2, next - 2);
    const headerEnd = part.indexOf("\r\n\r\n");
    const headers = part.subarray(0, headerEnd).toString("utf8");
    const name = /name="([^"]*)"/.exec(headers)?.[1];
    if (name !== undefined) {
      parts.set(name, {
        data: part.subarray(headerEnd + 4),
        type: /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1]?.trim(),
        filename: /filename="([^"]*)"/.exec(headers)?.[1],
      });
    }
    start = next;
  }
  return parts;
}

/** A template of a business account as Meta lists it (`GET /{waba-id}/message_templates`). */
export interface FakeTemplate {
  name: string;
  language: string;
  status: "APPROVED" | "PENDING" | "REJECTED" | "PAUSED" | "DISABLED";
  category?: string;
  /** The body text, with {{1}}, {{2}}… */
  body: string;
  /** Other components as Meta lists them (a header, buttons). */
  components?: Array<Record<string, unknown>>;
}

/** A send as posted to `/{phone-number-id}/messages` (the fields the fake reads). */
interface MessageBody {
  to: string;
  type: string;
  text?: { body: string };
  template?: {
    name?: string;
    language?: { code?: string };
    components?: Array<{ type: string; parameters?: Array<{ type: string; text?: string }> }>;
  };
  biz_opaque_callback_data?: string;
  [mediaType: string]: unknown;
}

/** Meta's customer-service window: free-form messages only within 24 h of the customer's last one (error 131047). */
const WINDOW_MS = 24 * 3_600_000;

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
  /** Their bodies, as posted. */
  readonly requests: MessageBody[] = [];
  private readonly tokens = new Map<string, string>();
  /** Phone-number id → its business account. */
  private readonly businessOf = new Map<string, string>();
  private readonly templatesOf = new Map<string, FakeTemplate[]>();
  /** `{number}:{customer}` → when the customer last wrote. */
  private readonly customerWroteAt = new Map<string, number>();
  /** Token → when Meta says it expires (absent: never, as a system user's token). */
  private readonly tokenExpiry = new Map<string, Date>();
  /** Customers' files by media id, and the number they were sent to (whose token fetches them). */
  private readonly media = new Map<
    string,
    { phoneNumberId: string; bytes: Buffer; mimeType: string; filename?: string }
  >();
  /** Media bytes served. */
  mediaDownloads = 0;
  /** Templates listed per page (Meta's default is 25, at most 100); small so tests cross pages. */
  templatePageSize = 2;
  /** Template list requests with a valid token. */
  templateLists = 0;
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

  /** Called with each send Meta took (the local stack answers it as a customer would). */
  onSend: ((send: GraphSendRecord) => void) | undefined;

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
    this.customerWroteAt.set(`${phoneNumberId}:${from}`, Date.now());
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

  /**
   * A customer's file to the number, as Meta posts it: the message names a media id (and its type,
   * SHA-256 and caption); the bytes are fetched with the number's token (`GET /{media-id}`, then
   * its short-lived URL). Resolves with the message's wamid and the media id.
   */
  async customerSendsMedia(
    phoneNumberId: string,
    from: string,
    media: {
      type: "image" | "video" | "audio" | "document" | "sticker";
      bytes: Buffer;
      mimeType: string;
      caption?: string;
      filename?: string;
      voice?: boolean;
    },
  ): Promise<{ wamid: string; mediaId: string }> {
    this.customerWroteAt.set(`${phoneNumberId}:${from}`, Date.now());
    const mediaId = `${randomInt(1e13, 9e13)}${randomInt(100, 999)}`;
    this.media.set(mediaId, { phoneNumberId, bytes: media.bytes, mimeType: media.mimeType });
    const wamid = `wamid.${randomBytes(12).toString("base64url")}`;
    const sha256 = createHash("sha256").update(media.bytes).digest("base64");
    const status = await this.postWebhook(phoneNumberId, {
      contacts: [{ wa_id: from, profile: { name: "Customer" } }],
      messages: [
        {
          from,
          id: wamid,
          timestamp: `${Math.floor(Date.now() / 1000)}`,
          type: media.type,
          [media.type]: {
            id: mediaId,
            mime_type: media.mimeType,
            sha256,
            ...(media.caption ? { caption: media.caption } : {}),
            ...(media.filename ? { filename: media.filename } : {}),
            ...(media.voice ? { voice: true } : {}),
          },
        },
      ],
    });
    if (status !== 200) throw new Error(`the webhook answered ${status}`);
    return { wamid, mediaId };
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

  /** A Cloud API number of a business account, and the access token that may send from it. */
  addNumber(phoneNumberId: string, token: string, businessAccountId = "102290129340398"): void {
    this.tokens.set(phoneNumberId, token);
    this.businessOf.set(phoneNumberId, businessAccountId);
  }

  /** A template of the business account, as Meta's review left it (set again to change its status). */
  setTemplate(businessAccountId: string, template: FakeTemplate): void {
    const others = (this.templatesOf.get(businessAccountId) ?? []).filter(
      (t) => t.name !== template.name || t.language !== template.language,
    );
    this.templatesOf.set(businessAccountId, [...others, template]);
  }

  /** The token expires at `at`, as `GET /debug_token` tells (Meta still takes it until then). */
  expireTokenAt(token: string, at: Date): void {
    this.tokenExpiry.set(token, at);
  }

  /** As if the customer had written to the number just now (opens Meta's 24-hour window, posts nothing). */
  openWindow(phoneNumberId: string, customer: string): void {
    this.customerWroteAt.set(`${phoneNumberId}:${customer}`, Date.now());
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
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const route = /^\/v\d+\.\d+\/(\d+)(?:\/(messages|message_templates|media))?$/.exec(url.pathname);
    const answer = (status: number, body: unknown): void => {
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    const graphError = (status: number, code: number, message: string): void =>
      answer(status, { error: { message, type: "OAuthException", code, fbtrace_id: "fake" } });
    const badToken = () => graphError(401, 190, "Error validating access token");
    if (req.method === "GET" && /^\/v\d+\.\d+\/debug_token$/.test(url.pathname)) {
      const token = req.headers.authorization?.replace(/^Bearer /, "") ?? "";
      const known = [...this.tokens.values()].includes(token);
      if (!known || url.searchParams.get("input_token") !== token) return badToken();
      const expiry = this.tokenExpiry.get(token);
      return answer(200, {
        data: {
          app_id: "1234567890",
          type: "SYSTEM_USER",
          application: "Fake App",
          expires_at: expiry ? Math.floor(expiry.getTime() / 1000) : 0,
          is_valid: true,
          scopes: ["whatsapp_business_messaging", "whatsapp_business_management"],
        },
      });
    }
    const id = route?.[1];
    const edge = route?.[2];
    // A media id: its short-lived download URL (with the owning number's token), then the bytes.
    const media = id && edge === undefined ? this.media.get(id) : undefined;
    if (req.method === "GET" && media) {
      if (req.headers.authorization !== `Bearer ${this.tokens.get(media.phoneNumberId)}`) return badToken();
      return answer(200, {
        messaging_product: "whatsapp",
        url: `${this.url}/media-download/${id}?ext=${Date.now()}`,
        mime_type: media.mimeType,
        sha256: createHash("sha256").update(media.bytes).digest("base64"),
        file_size: media.bytes.length,
        id,
      });
    }
    const download = /^\/media-download\/(\d+)$/.exec(url.pathname);
    if (req.method === "GET" && download) {
      const file = this.media.get(download[1]!);
      if (!file || req.headers.authorization !== `Bearer ${this.tokens.get(file.phoneNumberId)}`) return badToken();
      this.mediaDownloads++;
      res.writeHead(200, { "content-type": file.mimeType }).end(file.bytes);
      return;
    }
    if (req.method === "GET" && id && edge === undefined) {
      if (!this.tokens.has(id) || req.headers.authorization !== `Bearer ${this.tokens.get(id)}`) return badToken();
      return answer(200, { id, display_phone_number: `+1 555-${id.slice(-7)}`, verified_name: "Fake Business" });
    }
    if (req.method === "GET" && id && edge === "message_templates") {
      const mayRead = [...this.businessOf].some(
        ([number, waba]) => waba === id && req.headers.authorization === `Bearer ${this.tokens.get(number)}`,
      );
      if (!mayRead) return badToken();
      this.templateLists++;
      return this.listTemplates(id, url, answer);
    }
    if (req.method === "POST" && id && edge === "media") {
      if (!this.tokens.has(id) || req.headers.authorization !== `Bearer ${this.tokens.get(id)}`) return badToken();
      const boundary = /boundary=([^;]+)/.exec(req.headers["content-type"] ?? "")?.[1];
      const form = boundary ? formParts(Buffer.concat(chunks), boundary) : new Map();
      const file = form.get("file");
      if (form.get("messaging_product")?.data.toString() !== "whatsapp" || !file) {
        return graphError(400, 100, "(#100) The parameter file is required");
      }
      const mediaId = `${randomInt(1e13, 9e13)}${randomInt(100, 999)}`;
      const mimeType = form.get("type")?.data.toString() ?? file.type ?? "application/octet-stream";
      this.media.set(mediaId, { phoneNumberId: id, bytes: Buffer.from(file.data), mimeType, filename: file.filename });
      return answer(200, { id: mediaId });
    }
    if (req.method !== "POST" || !id || edge !== "messages") return graphError(400, 100, "Unsupported request");
    const phoneNumberId = id;
    const token = this.tokens.get(phoneNumberId);
    if (!token || req.headers.authorization !== `Bearer ${token}`) return badToken();
    this.attempts++;
    const trouble = this.troubles.shift();
    if (trouble?.kind === "error") return graphError(trouble.status, trouble.code, trouble.message);
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as MessageBody;
    this.requests.push(body);
    const taken = this.take(phoneNumberId, body);
    if (taken.kind === "refused") return graphError(400, taken.code, taken.message);
    const wamid = `wamid.${randomBytes(12).toString("base64url")}`;
    const record = { phoneNumberId, to: body.to, callbackData: body.biz_opaque_callback_data, wamid, ...taken.record };
    this.sends.push(record);
    this.onSend?.(record);
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

  /** Meta's checks of a send: the window for text, the approved template and its parameters for a template. */
  private take(
    phoneNumberId: string,
    body: MessageBody,
  ):
    | { kind: "taken"; record: Pick<GraphSendRecord, "text" | "template" | "media"> }
    | { kind: "refused"; code: number; message: string } {
    const outsideWindow = () => {
      const wrote = this.customerWroteAt.get(`${phoneNumberId}:${body.to}`);
      return wrote === undefined || Date.now() - wrote >= WINDOW_MS;
    };
    const reengagement = { kind: "refused" as const, code: 131047, message: "(#131047) Re-engagement message" };
    if (body.type === "text" && typeof body.text?.body === "string") {
      if (outsideWindow()) return reengagement;
      return { kind: "taken", record: { text: body.text.body } };
    }
    if (MEDIA_TYPES.has(body.type)) {
      const sent = (body[body.type] ?? {}) as { id?: string; caption?: string; filename?: string };
      const file = sent.id ? this.media.get(sent.id) : undefined;
      if (!file || file.phoneNumberId !== phoneNumberId) {
        return { kind: "refused", code: 131053, message: "(#131053) Media upload error" };
      }
      if (outsideWindow()) return reengagement;
      const media = {
        type: body.type,
        bytes: file.bytes,
        mimeType: file.mimeType,
        ...(sent.filename ? { filename: sent.filename } : {}),
      };
      return { kind: "taken", record: { text: sent.caption ?? "", media } };
    }
    if (body.type === "template" && body.template?.name && body.template.language?.code) {
      const { name } = body.template;
      const language = body.template.language.code;
      const template = (this.templatesOf.get(this.businessOf.get(phoneNumberId)!) ?? []).find(
        (t) => t.name === name && t.language === language && t.status === "APPROVED",
      );
      if (!template) {
        return { kind: "refused", code: 132001, message: "(#132001) Template name does not exist in the translation" };
      }
      const parameters = (body.template.components ?? [])
        .filter((c) => c.type === "body")
        .flatMap((c) => c.parameters ?? [])
        .map((p) => p.text ?? "");
      const expected = Math.max(0, ...[...template.body.matchAll(/\{\{(\d+)\}\}/g)].map((m) => Number(m[1])));
      if (parameters.length !== expected) {
        return {
          kind: "refused",
          code: 132000,
          message: "(#132000) Number of parameters does not match the expected number of params",
        };
      }
      const text = template.body.replace(/\{\{(\d+)\}\}/g, (_, n: string) => parameters[Number(n) - 1]!);
      return { kind: "taken", record: { text, template: { name, language, parameters } } };
    }
    return { kind: "refused", code: 100, message: "(#100) Invalid parameter" };
  }

  private listTemplates(businessAccountId: string, url: URL, answer: (status: number, body: unknown) => void): void {
    const all = this.templatesOf.get(businessAccountId) ?? [];
    const from = Number(url.searchParams.get("after") ?? "0");
    const size = Math.min(Number(url.searchParams.get("limit") ?? "25"), this.templatePageSize);
    const page = all.slice(from, from + size).map((t) => ({
      name: t.name,
      language: t.language,
      status: t.status,
      category: t.category ?? "UTILITY",
      parameter_format: "POSITIONAL",
      components: [{ type: "BODY", text: t.body }, ...(t.components ?? [])],
      id: `tmpl-${t.name}-${t.language}`,
    }));
    const more = from + size < all.length;
    answer(200, {
      data: page,
      paging: {
        cursors: { before: String(from), after: String(from + size) },
        ...(more ? { next: `${url.origin}${url.pathname}?after=${from + size}` } : {}),
      },
    });
  }
}
