import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "../lib/project";

/**
 * Renders deploy/cloud-run/worker.service.yaml for one project: every `${NAME}` filled from
 * checked options, none left behind. `npm run deploy:worker-service -- --project P --region R
 * --image IMAGE` prints it for `gcloud run services replace`.
 */

export const SERVICE_TEMPLATE = join(REPO_ROOT, "deploy", "cloud-run", "worker.service.yaml");

export class UsageError extends Error {}

const USAGE = `usage: npm run --silent deploy:worker-service -- --project <id> --region <region> --image <image>
  [--commit <sha>] (default: git rev-parse --short HEAD)
  [--max-instances <n>] (default 3)
  [--transport baileys|simulated] (default baileys)`;

const checks: Record<string, [RegExp, string]> = {
  PROJECT_ID: [/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "a Google Cloud project id"],
  REGION: [/^[a-z]+-[a-z]+\d+$/, "a region like europe-west1"],
  IMAGE: [
    /^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$/,
    "an image with a tag or digest",
  ],
  COMMIT_HASH: [/^[A-Za-z0-9._-]{1,64}$/, "a commit id"],
  MAX_INSTANCES: [/^([1-9]|[1-9]\d|100)$/, "1 to 100"],
  WA_TRANSPORT: [/^(baileys|simulated)$/, "baileys or simulated"],
};

export function renderWorkerService(values: Record<string, string>): string {
  for (const [name, value] of Object.entries(values)) {
    const [pattern, what] = checks[name] ?? [];
    if (!pattern) throw new UsageError(`unknown value ${name}`);
    if (!pattern.test(value)) throw new UsageError(`${name}: ${JSON.stringify(value)} is not ${what}`);
  }
  const rendered = readFileSync(SERVICE_TEMPLATE, "utf8").replace(/\$\{([A-Z_]+)\}/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new UsageError(`the template needs ${name}`);
    return value;
  });
  return rendered;
}

export function workerServiceFromArgs(argv: string[]): string {
  const { values } = parseArgs({
    args: argv,
    options: {
      project: { type: "string" },
      region: { type: "string" },
      image: { type: "string" },
      commit: { type: "string" },
      "max-instances": { type: "string", default: "3" },
      transport: { type: "string", default: "baileys" },
    },
    strict: true,
  });
  for (const required of ["project", "region", "image"] as const) {
    if (!values[required]) throw new UsageError(`--${required} is required\n${USAGE}`);
  }
  const commit =
    values.commit ?? execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO_ROOT, encoding: "utf8" }).trim();
  return renderWorkerService({
    PROJECT_ID: values.project!,
    REGION: values.region!,
    IMAGE: values.image!,
    COMMIT_HASH: commit,
    MAX_INSTANCES: values["max-instances"]!,
    WA_TRANSPORT: values.transport!,
  });
}

if (require.main === module) {
  try {
    process.stdout.write(workerServiceFromArgs(process.argv.slice(2)));
  } catch (err) {
    const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    process.stderr.write(`${(err as Error).message}${usage && !(err instanceof UsageError) ? `\n${USAGE}` : ""}\n`);
    process.exit(usage ? 64 : 1);
  }
}
