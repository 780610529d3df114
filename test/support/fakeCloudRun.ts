import { once } from "node:events";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the fake took: its method, path, query and body. */
export interface CloudRunRequest {
  method: string;
  path: string;
  updateMask: string | null;
  body: unknown;
}

/**
 * A fake Cloud Run Admin API v2 on 127.0.0.1, for one service. As Cloud Run does, a change to the
 * revision `template` creates a new revision (and replaces every instance); a change to the
 * service-level `scaling` does not. PATCH answers a done long-running operation.
 */
export class FakeCloudRun {
  readonly requests: CloudRunRequest[] = [];
  service: {
    name: string;
    scaling: { minInstanceCount: number };
    template: Record<string, unknown>;
    latestCreatedRevision: string;
  };
  private revision = 1;

  private constructor(
    private readonly server: Server,
    readonly path: string,
  ) {
    this.service = {
      name: path.slice("/v2/".length),
      scaling: { minInstanceCount: 1 },
      template: { scaling: { maxInstanceCount: 3 } },
      latestCreatedRevision: "wa-worker-00001",
    };
  }

  static async start(project: string, region: string, service: string): Promise<FakeCloudRun> {
    const path = `/v2/projects/${project}/locations/${region}/services/${service}`;
    const handler: { fake?: FakeCloudRun } = {};
    const server = createServer(
      (req, res) =>
        void handler.fake!.handle(req).then(([status, body]) => {
          res.writeHead(status, { "content-type": "application/json" });
          res.end(JSON.stringify(body));
        }),
    );
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const fake = new FakeCloudRun(server, path);
    handler.fake = fake;
    return fake;
  }

  get apiRoot(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Revisions the service has had: a scaling change must not add one. */
  get revisions(): number {
    return this.revision;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage): Promise<[number, unknown]> {
    const url = new URL(req.url ?? "/", this.apiRoot);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString();
    const body: unknown = text ? JSON.parse(text) : undefined;
    const updateMask = url.searchParams.get("updateMask");
    this.requests.push({ method: req.method ?? "", path: url.pathname, updateMask, body });
    if (req.headers.authorization !== "Bearer owner") return [401, { error: { code: 401, message: "no credentials" } }];
    if (url.pathname !== this.path) return [404, { error: { code: 404, message: `${url.pathname} not found` } }];
    if (req.method === "GET") return [200, this.service];
    if (req.method !== "PATCH") return [405, { error: { code: 405, message: "method not allowed" } }];
    const patch = body as { scaling?: { minInstanceCount?: number }; template?: Record<string, unknown> };
    const fields = (updateMask ?? "").split(",").filter(Boolean);
    if (fields.length === 0) return [400, { error: { code: 400, message: "updateMask is required" } }];
    for (const field of fields) {
      if (field === "scaling.minInstanceCount") {
        this.service.scaling.minInstanceCount = patch.scaling?.minInstanceCount ?? 0;
      } else if (field.startsWith("template")) {
        this.service.template = { ...this.service.template, ...patch.template };
        this.revision++;
        this.service.latestCreatedRevision = `wa-worker-${String(this.revision).padStart(5, "0")}`;
      } else {
        return [400, { error: { code: 400, message: `unknown field in updateMask: ${field}` } }];
      }
    }
    return [
      200,
      { name: `${this.service.name}/operations/op-${this.requests.length}`, done: true, response: this.service },
    ];
  }
}
