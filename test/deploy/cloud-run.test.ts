import assert from "node:assert/strict";
import { parse } from "yaml";
import { renderWorkerService, UsageError } from "../../scripts/deploy/workerService";

const VALUES = {
  PROJECT_ID: "acme-wa-prod",
  REGION: "europe-west1",
  IMAGE: "europe-west1-docker.pkg.dev/acme-wa-prod/wa/worker:4d4f22e",
  COMMIT_HASH: "4d4f22e",
  MAX_INSTANCES: "3",
  WA_TRANSPORT: "baileys",
};

interface Container {
  name: string;
  image: string;
  env?: { name: string; value?: string }[];
  ports?: { containerPort: number }[];
  startupProbe?: { httpGet: { path: string; port: number } };
  livenessProbe?: { httpGet: { path: string; port: number } };
}

function service(values = VALUES) {
  const doc = parse(renderWorkerService(values)) as {
    kind: string;
    metadata: { name: string; annotations: Record<string, string> };
    spec: {
      template: {
        metadata: { annotations: Record<string, string> };
        spec: { serviceAccountName: string; containers: Container[] };
      };
    };
  };
  const template = doc.spec.template;
  const worker = template.spec.containers.find((c) => c.name === "worker")!;
  return { doc, annotations: template.metadata.annotations, spec: template.spec, worker };
}

describe("Cloud Run service definition (deploy/cloud-run/worker.service.yaml)", () => {
  it("keeps one instance up with CPU always allocated, and caps the instances", () => {
    const { annotations } = service();
    assert.equal(annotations["autoscaling.knative.dev/minScale"], "1");
    assert.equal(annotations["autoscaling.knative.dev/maxScale"], "3");
    assert.equal(annotations["run.googleapis.com/cpu-throttling"], "false");
  });

  it("takes no traffic from outside the project's network", () => {
    assert.equal(service().doc.metadata.annotations["run.googleapis.com/ingress"], "internal");
  });

  it("probes the worker's own health endpoint on its port, liveness never on Firestore", () => {
    const { worker } = service();
    assert.equal(worker.ports?.[0]?.containerPort, 8080);
    assert.deepEqual(worker.startupProbe?.httpGet, { path: "/healthz", port: 8080 });
    assert.deepEqual(worker.livenessProbe?.httpGet, { path: "/healthz", port: 8080 });
  });

  it("runs the image under its own service account with the project and transport set, as strings", () => {
    const { worker, spec } = service();
    assert.equal(worker.image, VALUES.IMAGE);
    assert.equal(spec.serviceAccountName, "wa-worker@acme-wa-prod.iam.gserviceaccount.com");
    const env = Object.fromEntries((worker.env ?? []).map((e) => [e.name, e.value]));
    assert.deepEqual(
      { GCLOUD_PROJECT: env.GCLOUD_PROJECT, WA_TRANSPORT: env.WA_TRANSPORT, COMMIT_HASH: env.COMMIT_HASH },
      { GCLOUD_PROJECT: "acme-wa-prod", WA_TRANSPORT: "baileys", COMMIT_HASH: "4d4f22e" },
    );
    const numericCommit = service({ ...VALUES, COMMIT_HASH: "1234567" }).worker.env!.find(
      (e) => e.name === "COMMIT_HASH",
    );
    assert.equal(numericCommit?.value, "1234567", "a numeric-looking commit stays a string");
  });

  it("runs the managed Prometheus sidecar after the worker starts", () => {
    const { spec, annotations } = service();
    const names = spec.containers.map((c) => c.name);
    const dependencies = JSON.parse(annotations["run.googleapis.com/container-dependencies"]!) as Record<
      string,
      string[]
    >;
    for (const [container, after] of Object.entries(dependencies)) {
      assert.ok(names.includes(container) && after.every((n) => names.includes(n)), JSON.stringify(dependencies));
    }
    assert.match(spec.containers.find((c) => c.name === "prometheus")!.image, /cloud-run-gmp-sidecar:\d+\.\d+\.\d+$/);
  });

  it("refuses a bad value and leaves no placeholder behind", () => {
    assert.throws(() => renderWorkerService({ ...VALUES, PROJECT_ID: "Bad Project" }), UsageError);
    assert.throws(() => renderWorkerService({ ...VALUES, IMAGE: "worker" }), /IMAGE/);
    const { WA_TRANSPORT: _omitted, ...missing } = VALUES;
    assert.throws(() => renderWorkerService(missing), /needs WA_TRANSPORT/);
    assert.doesNotMatch(renderWorkerService(VALUES), /\$\{/);
  });
});
