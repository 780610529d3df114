import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Secret Manager's `versions.access` on 127.0.0.1: `GET /v1/projects/P/secrets/S/versions/V:access`
 * answers the value set for that name (base64, as Google does), 404 for any other, and counts reads.
 */
export class FakeSecretManager {
  readonly reads: string[] = [];
  private readonly values = new Map<string, string>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeSecretManager> {
    const server = createServer();
    const fake = new FakeSecretManager(server);
    server.on("request", (req, res) => {
      const name = /^\/v1\/(.+):access$/.exec(req.url ?? "")?.[1];
      const value = name === undefined ? undefined : fake.values.get(decodeURIComponent(name));
      if (name !== undefined) fake.reads.push(decodeURIComponent(name));
      if (req.method !== "GET" || value === undefined) {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { code: 404, status: "NOT_FOUND", message: `Secret [${name}] not found` } }));
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ name, payload: { data: Buffer.from(value).toString("base64") } }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  set(secretName: string, value: string): void {
    this.values.set(secretName, value);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
