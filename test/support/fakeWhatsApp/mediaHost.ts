/**
 * WhatsApp's media hosts (mmg.whatsapp.net), faked on 127.0.0.1 over HTTPS: what a client uploads
 * after a `media_conn` query (`POST /mms/{type}/{fileEncSha256}?auth=…&token=…`, the encrypted
 * bytes), answered with the file's `url` and `direct_path`; and downloads of a direct path. A
 * file can expire (404), as WhatsApp's CDN drops media after a while: the sender's phone then
 * uploads it again on request (a media retry).
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { getCACertificates, setDefaultCACertificates } from "node:tls";

/** The test-only certificate the media host serves (self-signed, 127.0.0.1): also its CA. */
export const EDGE_CA_FILE = join(__dirname, "tls", "edge-cert.pem");
const EDGE_KEY_FILE = join(__dirname, "tls", "edge-key.pem");

let trusted = false;
/**
 * Trusts the media host's certificate in this process, as `NODE_EXTRA_CA_CERTS=EDGE_CA_FILE` does
 * for a worker process: Baileys uploads and downloads media over plain HTTPS with Node's CAs.
 */
export function trustEdgeCa(): void {
  if (trusted) return;
  setDefaultCACertificates([...getCACertificates("default"), readFileSync(EDGE_CA_FILE, "utf8")]);
  trusted = true;
}

/** The URL path segment per media type, as WhatsApp's upload endpoint names them (Baileys' MEDIA_PATH_MAP). */
const UPLOAD_PATH = /^\/mms\/([a-z-]+)\/([^/?]+)$/;

export class FakeMediaHost {
  /** Encrypted files by direct path. */
  private readonly files = new Map<string, Buffer>();
  /** Direct paths that answer 404 from now on (the CDN expired them). */
  private readonly expired = new Set<string>();
  /** Direct paths whose next downloads answer 503, by how many more. */
  private readonly failing = new Map<string, number>();
  /** The `auth` a `media_conn` answer gives, which every upload must carry. */
  readonly auth = randomBytes(24).toString("base64url");
  /** Uploads taken (direct paths), in order. */
  readonly uploads: string[] = [];
  /** Downloads asked for, with their answer status. */
  readonly downloads: { directPath: string; status: number }[] = [];

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeMediaHost> {
    trustEdgeCa();
    const server = createServer({ cert: readFileSync(EDGE_CA_FILE), key: readFileSync(EDGE_KEY_FILE) });
    const host = new FakeMediaHost(server);
    server.on("request", (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const url = new URL(req.url ?? "/", "https://127.0.0.1");
        const upload = UPLOAD_PATH.exec(url.pathname);
        if (req.method === "POST" && upload) {
          if (url.searchParams.get("auth") !== host.auth) {
            res.writeHead(401, { "content-type": "application/json" }).end('{"error":"bad auth"}');
            return;
          }
          const directPath = host.put(Buffer.concat(chunks));
          res
            .writeHead(200, { "content-type": "application/json" })
            .end(JSON.stringify({ url: host.urlOf(directPath), direct_path: directPath }));
          return;
        }
        const file = req.method === "GET" ? host.files.get(url.pathname) : undefined;
        const failures = host.failing.get(url.pathname) ?? 0;
        if (failures > 0) host.failing.set(url.pathname, failures - 1);
        const status = failures > 0 ? 503 : file && !host.expired.has(url.pathname) ? 200 : 404;
        if (req.method === "GET") host.downloads.push({ directPath: url.pathname, status });
        if (status !== 200) return void res.writeHead(status).end();
        res.writeHead(200, { "content-type": "application/octet-stream" }).end(file);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return host;
  }

  /** `host:port`, as a `media_conn` answer's `hostname`. */
  get hostname(): string {
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  urlOf(directPath: string): string {
    return `https://${this.hostname}${directPath}`;
  }

  /** Stores an encrypted file (a phone's upload) and returns its direct path. */
  put(encrypted: Buffer): string {
    const directPath = `/v/t62.7118-24/${randomBytes(12).toString("hex")}.enc`;
    this.files.set(directPath, encrypted);
    this.uploads.push(directPath);
    return directPath;
  }

  /** The encrypted file at a direct path (what a contact downloads and decrypts). */
  get(directPath: string): Buffer | undefined {
    return this.files.get(directPath);
  }

  /** The file's next `times` downloads answer 503 (the CDN is having a bad minute). */
  failNext(directPath: string, times: number): void {
    this.failing.set(directPath, times);
  }

  /** From now on the file answers 404, as an expired CDN file does. */
  expire(directPath: string): void {
    this.expired.add(directPath);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
