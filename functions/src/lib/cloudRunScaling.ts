import { applicationDefault } from "firebase-admin/app";
import type { WorkerScaling } from "@wa-gateway/core/longrun";

/** The field the capacity job changes, and nothing else: a service-level setting creates no revision. */
export const MIN_INSTANCES_MASK = "scaling.minInstanceCount";

interface ServiceTarget {
  /** The Admin API's origin: https://run.googleapis.com, or a fake on 127.0.0.1 in tests. */
  apiRoot: string;
  project: string;
  region: string;
  service: string;
}

/** The emulators' convention: a loopback API is a fake and takes the token "owner"; nothing else does. */
const isLoopback = (apiRoot: string) => /^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?$/.test(apiRoot);

async function bearer(apiRoot: string): Promise<string> {
  if (isLoopback(apiRoot)) return "owner";
  return (await applicationDefault().getAccessToken()).access_token;
}

/**
 * The worker service's service-level scaling through the Cloud Run Admin API v2: a GET of the
 * service, and a PATCH whose update mask is `scaling.minInstanceCount` alone. Setting it on the
 * service, not on the revision template, changes no revision: no instance (and no socket) is
 * replaced. Two documented REST calls, with the functions' own identity: no client library for them.
 * Needs `run.services.get` and `run.services.update` on the service (roles/run.developer on it) and
 * `iam.serviceAccounts.actAs` on the worker's service account (docs/deploying.md).
 */
export function cloudRunScaling(target: ServiceTarget): WorkerScaling {
  const url = `${target.apiRoot}/v2/projects/${target.project}/locations/${target.region}/services/${target.service}`;
  async function call(method: "GET" | "PATCH", query = "", body?: unknown): Promise<Record<string, unknown>> {
    const res = await fetch(`${url}${query}`, {
      method,
      headers: {
        authorization: `Bearer ${await bearer(target.apiRoot)}`,
        ...(body ? { "content-type": "application/json" } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(20_000),
    });
    const json = (await res.json().catch(() => ({}))) as { error?: { message?: string } } & Record<string, unknown>;
    if (!res.ok) {
      throw new Error(
        `Cloud Run Admin API ${method} ${target.service}: ${res.status} ${json.error?.message ?? ""}`.trim(),
      );
    }
    return json;
  }
  return {
    async minInstances() {
      const service = (await call("GET")) as { scaling?: { minInstanceCount?: number } };
      return service.scaling?.minInstanceCount ?? 0;
    },
    async setMinInstances(instances) {
      await call("PATCH", `?updateMask=${MIN_INSTANCES_MASK}`, { scaling: { minInstanceCount: instances } });
    },
  };
}
