import { createHash, createVerify, generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { CRC32C } from "@google-cloud/storage";

/** One stored object, as Cloud Storage keeps it. */
export interface StoredObject {
  bucket: string;
  name: string;
  data: Buffer;
  contentType: string;
  generation: number;
  createdAt: Date;
  metadata: Record<string, string>;
}

/** A service account key for signing V4 URLs in tests (`client_email` + `private_key`, as in a key file). */
export interface TestSigningKey {
  client_email: string;
  private_key: string;
}

/** A fresh RSA key pair as a service account key, and the public key that checks its signatures. */
export function testSigningKey(clientEmail = "wa-functions@demo-wa-gateway.iam.gserviceaccount.com"): {
  key: TestSigningKey;
  publicKey: KeyObject;
} {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    key: { client_email: clientEmail, private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString() },
    publicKey,
  };
}

/** `encodeURIComponent` plus `!'()*`, as Cloud Storage's canonical query (and the client library) encode. */
const strictEncode = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

type Answer = { status: number; body?: unknown; headers?: Record<string, string> };

/**
 * Cloud Storage on 127.0.0.1, for what the gateway and `@google-cloud/storage` use of it (the
 * firebase-tools Storage emulator cannot run on these machines): the JSON API's multipart and
 * resumable uploads, media download, metadata, delete and list (`STORAGE_EMULATOR_HOST` or the
 * client's `apiEndpoint` points at it), and V4 signed URLs, GET and PUT, whose signature, expiry
 * and signed headers it checks against the signing key's public key, as Cloud Storage does.
 *
 * The one liberty: the signed `host` header is compared without its port, because the client
 * library signs the endpoint's host name alone (Cloud Storage's own host has no port).
 */
export class FakeCloudStorage {
  private readonly objects = new Map<string, StoredObject>();
  private readonly uploads = new Map<string, { bucket: string; name: string; contentType: string; chunks: Buffer[] }>();
  private readonly signers = new Map<string, KeyObject>();
  private generation = 1;
  /** Cloud Storage's clock, which judges a signed URL's expiry (a test moves it instead of waiting). */
  now: () => number = Date.now;
  /** Signed-URL requests refused, and why: what a test of a forged or late URL reads. */
  readonly refusals: string[] = [];

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeCloudStorage> {
    const server = createServer();
    const storage = new FakeCloudStorage(server);
    server.on("request", (req, res) => void storage.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return storage;
  }

  /** The API endpoint (`STORAGE_EMULATOR_HOST`, or the client's `apiEndpoint`). */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Accepts V4 signatures of this service account (its key's public half). */
  trustSigner(clientEmail: string, publicKey: KeyObject): void {
    this.signers.set(clientEmail, publicKey);
  }

  object(bucket: string, name: string): StoredObject | undefined {
    return this.objects.get(`${bucket}/${name}`);
  }

  /** Stores an object directly, as another writer of the bucket would. */
  put(bucket: string, name: string, data: Buffer, contentType: string): StoredObject {
    return this.store(bucket, name, data, contentType, {});
  }

  names(bucket: string): string[] {
    return [...this.objects.values()].filter((o) => o.bucket === bucket).map((o) => o.name);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? "/", this.url);
    let answer: Answer;
    try {
      answer = this.route(req, url, body);
    } catch (err) {
      answer = { status: 400, body: { error: { code: 400, message: (err as Error).message } } };
    }
    const payload =
      answer.body === undefined ? undefined : Buffer.isBuffer(answer.body) ? answer.body : JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      ...(payload !== undefined && !Buffer.isBuffer(answer.body) ? { "content-type": "application/json" } : {}),
      ...answer.headers,
    });
    res.end(payload);
  }

  private route(req: IncomingMessage, url: URL, body: Buffer): Answer {
    const method = req.method ?? "GET";
    if (url.searchParams.has("X-Goog-Signature")) return this.signed(req, url, body);
    const upload = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
    if (upload && method === "POST") return this.startUpload(decodeURIComponent(upload[1]!), url, req, body);
    if (upload && method === "PUT") return this.continueUpload(url, req, body);
    // `file.copy()`: a rewrite, done in one call (Cloud Storage may take several for large objects).
    const rewrite = /^(?:\/storage\/v1)?\/b\/([^/]+)\/o\/(.+)\/rewriteTo\/b\/([^/]+)\/o\/(.+)$/.exec(url.pathname);
    if (rewrite && method === "POST") {
      const [from, bucket, name] = [
        this.object(decodeURIComponent(rewrite[1]!), decodeURIComponent(rewrite[2]!)),
        decodeURIComponent(rewrite[3]!),
        decodeURIComponent(rewrite[4]!),
      ];
      if (!from) return notFound(decodeURIComponent(rewrite[1]!), decodeURIComponent(rewrite[2]!));
      const copied = this.store(bucket, name, from.data, from.contentType, { ...from.metadata });
      const size = String(copied.data.length);
      return {
        status: 200,
        body: {
          kind: "storage#rewriteResponse",
          totalBytesRewritten: size,
          objectSize: size,
          done: true,
          resource: resource(copied),
        },
      };
    }
    // With an emulator host the client drops the `/storage/v1` prefix; Cloud Storage takes both.
    const object = /^(?:\/download)?(?:\/storage\/v1)?\/b\/([^/]+)\/o\/(.+)$/.exec(url.pathname);
    if (object) {
      const [bucket, name] = [decodeURIComponent(object[1]!), decodeURIComponent(object[2]!)];
      const found = this.object(bucket, name);
      if (!found) return notFound(bucket, name);
      if (method === "DELETE") {
        this.objects.delete(`${bucket}/${name}`);
        return { status: 204 };
      }
      if (method === "GET" && url.searchParams.get("alt") === "media") return media(found);
      if (method === "GET") return { status: 200, body: resource(found) };
    }
    const list = /^(?:\/storage\/v1)?\/b\/([^/]+)\/o$/.exec(url.pathname);
    if (list && method === "GET") {
      const bucket = decodeURIComponent(list[1]!);
      const prefix = url.searchParams.get("prefix") ?? "";
      const items = [...this.objects.values()].filter((o) => o.bucket === bucket && o.name.startsWith(prefix));
      return { status: 200, body: { kind: "storage#objects", items: items.map(resource) } };
    }
    return { status: 404, body: { error: { code: 404, message: `no route for ${method} ${url.pathname}` } } };
  }

  private store(bucket: string, name: string, data: Buffer, contentType: string, metadata: Record<string, string>) {
    const stored: StoredObject = {
      bucket,
      name,
      data,
      contentType,
      generation: this.generation++,
      createdAt: new Date(),
      metadata,
    };
    this.objects.set(`${bucket}/${name}`, stored);
    return stored;
  }

  /** `uploadType=multipart` (metadata and bytes in one multipart/related body) or `resumable` (a session). */
  private startUpload(bucket: string, url: URL, req: IncomingMessage, body: Buffer): Answer {
    const type = url.searchParams.get("uploadType");
    if (type === "multipart") {
      const boundary = /boundary="?([^";]+)"?/.exec(req.headers["content-type"] ?? "")?.[1];
      if (!boundary) throw new Error("multipart upload without a boundary");
      const [metaPart, dataPart] = multipartParts(body, boundary);
      const meta = JSON.parse(metaPart!.body.toString("utf8")) as Record<string, unknown>;
      const name = (url.searchParams.get("name") ?? meta.name) as string;
      const contentType = (meta.contentType as string) ?? dataPart!.contentType ?? "application/octet-stream";
      const stored = this.store(
        bucket,
        name,
        dataPart!.body,
        contentType,
        (meta.metadata as Record<string, string>) ?? {},
      );
      return { status: 200, body: resource(stored) };
    }
    if (type === "resumable") {
      const meta = body.length ? (JSON.parse(body.toString("utf8")) as Record<string, unknown>) : {};
      const name = (url.searchParams.get("name") ?? meta.name) as string;
      const contentType =
        (meta.contentType as string) ?? req.headers["x-upload-content-type"] ?? "application/octet-stream";
      const id = randomBytes(12).toString("hex");
      this.uploads.set(id, { bucket, name, contentType: String(contentType), chunks: [] });
      const location = `${this.url}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?uploadType=resumable&upload_id=${id}`;
      return { status: 200, headers: { location } };
    }
    throw new Error(`uploadType ${type} is not served here`);
  }

  /** A resumable session's bytes: complete when the range's end is the total (`bytes a-b/total`, or no range). */
  private continueUpload(url: URL, req: IncomingMessage, body: Buffer): Answer {
    const id = url.searchParams.get("upload_id") ?? "";
    const session = this.uploads.get(id);
    if (!session) return { status: 404, body: { error: { code: 404, message: "no such upload session" } } };
    session.chunks.push(body);
    const range = /bytes (?:(\d+)-(\d+)|\*)\/(\d+|\*)/.exec(req.headers["content-range"] ?? "");
    const received = session.chunks.reduce((n, c) => n + c.length, 0);
    const total = range?.[3] && range[3] !== "*" ? Number(range[3]) : received;
    if (received < total) return { status: 308, headers: { range: `bytes=0-${received - 1}` } };
    this.uploads.delete(id);
    const stored = this.store(session.bucket, session.name, Buffer.concat(session.chunks), session.contentType, {});
    return { status: 200, body: resource(stored) };
  }

  /** A V4 signed URL: checked as Cloud Storage checks it, then served (GET) or stored (PUT). */
  private signed(req: IncomingMessage, url: URL, body: Buffer): Answer {
    const refuse = (why: string): Answer => {
      this.refusals.push(why);
      return {
        status: 403,
        body: Buffer.from(`<Error><Code>SignatureDoesNotMatch</Code><Message>${why}</Message></Error>`),
      };
    };
    const q = url.searchParams;
    const credential = q.get("X-Goog-Credential") ?? "";
    const clientEmail = credential.split("/")[0]!;
    const publicKey = this.signers.get(clientEmail);
    if (q.get("X-Goog-Algorithm") !== "GOOG4-RSA-SHA256" || !publicKey) return refuse("unknown signer or algorithm");
    const date = q.get("X-Goog-Date") ?? "";
    const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
    if (!m) return refuse("malformed X-Goog-Date");
    const signedAt = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
    const expiresSec = Number(q.get("X-Goog-Expires"));
    if (!(expiresSec > 0) || this.now() > signedAt + expiresSec * 1000) return refuse("expired");
    const signedHeaders = (q.get("X-Goog-SignedHeaders") ?? "").split(";").filter(Boolean);
    const headerValue = (name: string): string => {
      if (name === "host") return (req.headers.host ?? "").replace(/:\d+$/, "");
      if (name === "content-length") return String(body.length);
      const raw = req.headers[name];
      return (Array.isArray(raw) ? raw.join(",") : (raw ?? "")).trim().replace(/\s{2,}/g, " ");
    };
    const canonicalHeaders = signedHeaders.map((h) => `${h}:${headerValue(h)}\n`).join("");
    const query = url.search
      .slice(1)
      .split("&")
      .filter(Boolean)
      .map((pair) => pair.split("=").map((part) => strictEncode(decodeURIComponent(part.replace(/\+/g, " ")))))
      .filter(([key]) => key !== "X-Goog-Signature")
      .sort((a, b) => (a[0]! < b[0]! ? -1 : 1))
      .map(([k, v]) => `${k}=${v ?? ""}`)
      .join("&");
    const canonicalRequest = [
      req.method,
      url.pathname,
      query,
      canonicalHeaders,
      signedHeaders.join(";"),
      "UNSIGNED-PAYLOAD",
    ].join("\n");
    const scope = credential.split("/").slice(1).join("/");
    const toSign = ["GOOG4-RSA-SHA256", date, scope, createHash("sha256").update(canonicalRequest).digest("hex")].join(
      "\n",
    );
    const signature = Buffer.from(q.get("X-Goog-Signature") ?? "", "hex");
    if (!createVerify("RSA-SHA256").update(toSign).verify(publicKey, signature)) {
      return refuse("the signature does not match the request");
    }
    const path = /^\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (!path) return refuse("no object in the path");
    const [bucket, name] = [decodeURIComponent(path[1]!), decodeURIComponent(path[2]!)];
    if (req.method === "PUT") {
      const contentType = headerValue("content-type") || "application/octet-stream";
      this.store(bucket, name, body, contentType, {});
      return { status: 200 };
    }
    const found = this.object(bucket, name);
    return found ? media(found) : notFound(bucket, name);
  }
}

function resource(o: StoredObject) {
  const crc = new CRC32C();
  crc.update(o.data);
  return {
    kind: "storage#object",
    id: `${o.bucket}/${o.name}/${o.generation}`,
    name: o.name,
    bucket: o.bucket,
    generation: String(o.generation),
    metageneration: "1",
    contentType: o.contentType,
    size: String(o.data.length),
    md5Hash: createHash("md5").update(o.data).digest("base64"),
    crc32c: crc.toString(),
    timeCreated: o.createdAt.toISOString(),
    updated: o.createdAt.toISOString(),
    metadata: o.metadata,
  };
}

function media(o: StoredObject): Answer {
  const { md5Hash, crc32c } = resource(o);
  return {
    status: 200,
    body: o.data,
    headers: {
      "content-type": o.contentType,
      "content-length": String(o.data.length),
      "x-goog-hash": `crc32c=${crc32c},md5=${md5Hash}`,
      "x-goog-generation": String(o.generation),
    },
  };
}

function notFound(bucket: string, name: string): Answer {
  return { status: 404, body: { error: { code: 404, message: `No such object: ${bucket}/${name}` } } };
}

/** The parts of a multipart/related body: each one's content type and bytes. */
function multipartParts(body: Buffer, boundary: string): { contentType: string | undefined; body: Buffer }[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: { contentType: string | undefined; body: Buffer }[] = [];
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next === -1) break;
    const part = body.subarray(start + delimiter.length, next);
    const headerEnd = part.indexOf("\r\n\r\n");
    if (headerEnd !== -1) {
      const headers = part.subarray(0, headerEnd).toString("utf8");
      const contentType = /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1]?.trim();
      parts.push({ contentType, body: part.subarray(headerEnd + 4, part.length - 2) });
    }
    start = next;
  }
  return parts;
}
