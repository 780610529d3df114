import { Readable } from "node:stream";
import type { MediaKind } from "@wa-gateway/core/media";
import type { TemplateToSend } from "@wa-gateway/core/proxies";
/**
 * Meta's Graph API as the Cloud API transport calls it: sends (`POST
 * {base}/{version}/{phone-number-id}/messages`, a text or a template), the number's check, and
 * the business account's template list, each with the number's access token. A send's answers as a
 * closed union, decided on Meta's error codes (developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes):
 *
 *   sent           200 with messages[0].id, the wamid
 *   throttled      130429 (throughput), 131056 (pair rate), 131048 (spam rate), 80007, 4, HTTP 429: back off
 *   refused        any other error Meta names: permanent (131047 outside the 24-hour window, 131026
 *                  undeliverable, 100 bad parameter, …) unless Meta marks it transient (1, 2, 131000, 5xx)
 *   token_refused  401 or code 190: the access token is expired or revoked
 *   unreachable    no connection was made: certainly not sent
 *   unknown        a timeout or a broken answer after the request went out: maybe sent (there is no
 *                  idempotency key; the transport resolves it by the send's callback data)
 */

export type GraphSend =
  | { kind: "sent"; wamid: string }
  | { kind: "throttled"; code: number; title: string }
  | { kind: "refused"; code: number; title: string; failure: "permanent" | "transient" }
  | { kind: "token_refused"; code: number; title: string }
  | { kind: "unreachable"; reason: string }
  | { kind: "unknown"; reason: string };

export interface TextSend {
  /** The customer's number, digits only (Meta's `to`). */
  to: string;
  text: string;
  /** Echoed in every status webhook of this send (Meta's `biz_opaque_callback_data`, ≤ 512 chars). */
  callbackData: string;
}

/** An approved template (`type: "template"`), its body parameters in order. */
export interface TemplateSend {
  to: string;
  template: TemplateToSend;
  callbackData: string;
}

/** A file (read whole: at most its kind's cap) and its caption. */
export interface MediaSend {
  to: string;
  kind: MediaKind;
  bytes: Buffer;
  mimetype: string;
  fileName?: string;
  caption: string;
  callbackData: string;
}

/** The business account's templates as Meta lists them (every page), or why not. */
export type GraphTemplates = { kind: "listed"; templates: unknown[] } | ReadFailure;

/** An access token as Meta describes it (`GET /debug_token`): when it expires, null for never. */
export type GraphTokenInfo = { kind: "described"; expiresAtMs: number | null } | ReadFailure;

/** Meta lists 100 at most per page, and a WABA has at most 6,000 templates. */
const MAX_TEMPLATE_PAGES = 60;

export interface GraphClientOptions {
  /** `WA_CLOUD_API_BASE_URL` (https://graph.facebook.com); tests point it at a fake on 127.0.0.1. */
  baseUrl: string;
  /** The pinned Graph API version, e.g. `v23.0`. */
  version: string;
  /** Past this, a send's outcome is unknown. */
  timeoutMs: number;
  /** Pages of templates read at most (default MAX_TEMPLATE_PAGES); a longer list is not `listed`. */
  maxTemplatePages?: number;
}

const THROTTLED = new Set([4, 80007, 130429, 131048, 131056]);
const TRANSIENT = new Set([1, 2, 131000]);
const TOKEN = 190;

interface GraphError {
  code?: number;
  message?: string;
  error_data?: { details?: string };
}

/** The number as Meta knows it (`GET /{phone-number-id}`): what a Cloud API account's connect checks its token with. */
export type GraphNumber = { kind: "found"; displayPhoneNumber: string } | ReadFailure;

export class GraphClient {
  constructor(private readonly o: GraphClientOptions) {}

  private url(path: string): string {
    return `${this.o.baseUrl.replace(/\/$/, "")}/${this.o.version}/${path}`;
  }

  async phoneNumber(phoneNumberId: string, token: string): Promise<GraphNumber> {
    let response: Response;
    try {
      response = await fetch(this.url(`${encodeURIComponent(phoneNumberId)}?fields=display_phone_number`), {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
    } catch (err) {
      return failedRequest(err);
    }
    const body = (await response.json().catch(() => ({}))) as { display_phone_number?: unknown; error?: GraphError };
    if (response.ok && typeof body.display_phone_number === "string") {
      return { kind: "found", displayPhoneNumber: body.display_phone_number };
    }
    return readRefusal(response.status, body.error);
  }

  /**
   * A customer's file by its media id: `GET /{media-id}` names a short-lived URL (Meta's CDN),
   * fetched with the same token; the bytes as a stream. Rejects when either step fails (the
   * download is tried again later). The URL is followed only over https (or to a loopback fake).
   */
  async media(mediaId: string, token: string): Promise<Readable> {
    const headers = { authorization: `Bearer ${token}` };
    const described = await fetch(this.url(encodeURIComponent(mediaId)), {
      headers,
      signal: AbortSignal.timeout(this.o.timeoutMs),
    });
    const body = (await described.json().catch(() => ({}))) as { url?: unknown; error?: GraphError };
    if (!described.ok || typeof body.url !== "string") {
      throw new Error(
        `media ${mediaId}: HTTP ${described.status} ${body.error?.code ?? ""} ${body.error?.message ?? ""}`.trim(),
      );
    }
    if (!/^https:\/\/|^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?\//.test(body.url)) {
      throw new Error(`media ${mediaId}: Meta named a download URL that is not https`);
    }
    const file = await fetch(body.url, { headers });
    if (!file.ok || !file.body) throw new Error(`media ${mediaId}: the download answered HTTP ${file.status}`);
    return Readable.fromWeb(file.body as import("node:stream/web").ReadableStream<Uint8Array>);
  }

  sendText(phoneNumberId: string, token: string, send: TextSend): Promise<GraphSend> {
    return this.postMessage(phoneNumberId, token, {
      to: send.to,
      type: "text",
      text: { body: send.text, preview_url: false },
      biz_opaque_callback_data: send.callbackData,
    });
  }

  sendTemplate(phoneNumberId: string, token: string, send: TemplateSend): Promise<GraphSend> {
    const { name, language, parameters } = send.template;
    return this.postMessage(phoneNumberId, token, {
      to: send.to,
      type: "template",
      template: {
        name,
        language: { code: language },
        // Meta's own examples leave `components` out when nothing is filled in.
        ...(parameters.length
          ? { components: [{ type: "body", parameters: parameters.map((text) => ({ type: "text", text })) }] }
          : {}),
      },
      biz_opaque_callback_data: send.callbackData,
    });
  }

  /**
   * A file to a customer: uploaded for the number (`POST /{phone-number-id}/media`, multipart),
   * then sent by its media id with its caption. An upload that fails sent nothing: its answer is
   * the send's (a lost upload answer is `unreachable`, certainly not sent).
   */
  async sendMedia(phoneNumberId: string, token: string, send: MediaSend): Promise<GraphSend> {
    const form = new FormData();
    form.set("messaging_product", "whatsapp");
    form.set("type", send.mimetype);
    form.set("file", new Blob([new Uint8Array(send.bytes)], { type: send.mimetype }), send.fileName ?? "file");
    let response: Response;
    try {
      response = await fetch(this.url(`${encodeURIComponent(phoneNumberId)}/media`), {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
        body: form,
        signal: AbortSignal.timeout(this.o.timeoutMs * 4),
      });
    } catch (err) {
      return { kind: "unreachable", reason: `the upload failed: ${(err as Error).name}` };
    }
    const body = (await response.json().catch(() => ({}))) as { id?: unknown; error?: GraphError };
    if (!response.ok || typeof body.id !== "string") {
      const answer = refusal(response.status, body.error);
      return answer.kind === "unknown" ? { kind: "unreachable", reason: `the upload: ${answer.reason}` } : answer;
    }
    const type = send.kind === "voice" ? "audio" : send.kind;
    const captioned = type === "image" || type === "video" || type === "document";
    return this.postMessage(phoneNumberId, token, {
      to: send.to,
      type,
      [type]: {
        id: body.id,
        ...(captioned && send.caption ? { caption: send.caption } : {}),
        ...(type === "document" && send.fileName ? { filename: send.fileName } : {}),
      },
      biz_opaque_callback_data: send.callbackData,
    });
  }

  /** `GET /debug_token` of the token, asked with the token itself (a system user's may describe itself). */
  async tokenInfo(token: string): Promise<GraphTokenInfo> {
    let response: Response;
    try {
      response = await fetch(this.url(`debug_token?${new URLSearchParams({ input_token: token })}`), {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
    } catch (err) {
      return failedRequest(err);
    }
    const body = (await response.json().catch(() => ({}))) as {
      data?: { expires_at?: unknown; is_valid?: unknown };
      error?: GraphError;
    };
    const expiresAt = body.data?.expires_at;
    if (response.ok && body.data?.is_valid === false) return { kind: "token_refused", code: TOKEN, title: "invalid" };
    if (response.ok && typeof expiresAt === "number") {
      return { kind: "described", expiresAtMs: expiresAt > 0 ? expiresAt * 1000 : null };
    }
    return readRefusal(response.status, body.error);
  }

  /** `GET /{waba-id}/message_templates`, page by page (Meta's `after` cursor). */
  async templates(businessAccountId: string, token: string): Promise<GraphTemplates> {
    const templates: unknown[] = [];
    let after: string | undefined;
    const maxPages = this.o.maxTemplatePages ?? MAX_TEMPLATE_PAGES;
    for (let page = 0; page < maxPages; page++) {
      const query = new URLSearchParams({
        fields: "name,language,status,category,parameter_format,components",
        limit: "100",
      });
      if (after) query.set("after", after);
      let response: Response;
      try {
        response = await fetch(this.url(`${encodeURIComponent(businessAccountId)}/message_templates?${query}`), {
          headers: { authorization: `Bearer ${token}` },
          signal: AbortSignal.timeout(this.o.timeoutMs),
        });
      } catch (err) {
        return failedRequest(err);
      }
      const body = (await response.json().catch(() => ({}))) as {
        data?: unknown;
        paging?: { cursors?: { after?: unknown }; next?: unknown };
        error?: GraphError;
      };
      if (!response.ok || !Array.isArray(body.data)) {
        return readRefusal(response.status, body.error);
      }
      templates.push(...(body.data as unknown[]));
      const cursor = body.paging?.cursors?.after;
      if (typeof body.paging?.next !== "string" || typeof cursor !== "string") return { kind: "listed", templates };
      after = cursor;
    }
    // A list cut short must not read as complete: the catalogue would delete what it did not reach.
    return { kind: "unknown", reason: `more than ${maxPages} pages of templates` };
  }

  private async postMessage(
    phoneNumberId: string,
    token: string,
    message: Record<string, unknown>,
  ): Promise<GraphSend> {
    const url = this.url(`${encodeURIComponent(phoneNumberId)}/messages`);
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ messaging_product: "whatsapp", recipient_type: "individual", ...message }),
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
    } catch (err) {
      return failedRequest(err);
    }
    let body: { messages?: Array<{ id?: unknown }>; error?: GraphError };
    try {
      body = (await response.json()) as typeof body;
    } catch (err) {
      return { kind: "unknown", reason: `HTTP ${response.status} with no JSON answer (${(err as Error).name})` };
    }
    const wamid = body.messages?.[0]?.id;
    if (response.ok && typeof wamid === "string" && wamid.length > 0) return { kind: "sent", wamid };
    return refusal(response.status, body.error);
  }
}

function refusal(status: number, error: GraphError | undefined): GraphSend {
  const code = typeof error?.code === "number" ? error.code : 0;
  const title = error?.error_data?.details ?? error?.message ?? `HTTP ${status}`;
  if (status === 401 || code === TOKEN) return { kind: "token_refused", code: code || 401, title };
  if (status === 429 || THROTTLED.has(code)) return { kind: "throttled", code: code || 429, title };
  if (!error) return { kind: "unknown", reason: `HTTP ${status} without an error` };
  return { kind: "refused", code, title, failure: status >= 500 || TRANSIENT.has(code) ? "transient" : "permanent" };
}

type ReadFailure = Extract<GraphSend, { kind: "refused" | "token_refused" | "unreachable" | "unknown" }>;

/** A read Meta did not answer: throttling on a read is Meta's trouble, not the number's, and is tried again later. */
function readRefusal(status: number, error: GraphError | undefined): ReadFailure {
  const answer = refusal(status, error);
  return answer.kind === "throttled" || answer.kind === "sent" ? { kind: "unknown", reason: `HTTP ${status}` } : answer;
}

/** A fetch that threw: refused before any byte went out, or cut off with the request possibly sent. */
function failedRequest(err: unknown): Extract<GraphSend, { kind: "unreachable" | "unknown" }> {
  const cause = (err as { cause?: { code?: string } }).cause?.code;
  if (cause === "ECONNREFUSED" || cause === "ENOTFOUND" || cause === "EAI_AGAIN") {
    return { kind: "unreachable", reason: cause };
  }
  const name = (err as Error).name;
  return { kind: "unknown", reason: name === "TimeoutError" ? "no answer in time" : `${name}: ${cause ?? ""}`.trim() };
}
