import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";

/**
 * The media bucket's settings as code: its lifecycle (uploads never sent are deleted after a day;
 * media after the retention) and the CORS that lets web apps PUT to signed upload URLs and GET
 * signed media URLs. `npm run --silent deploy:media-bucket -- --bucket B [--retention-days N]
 * [--cors-origin https://app.example ...]` writes both files and prints the gcloud command that
 * applies them (docs/deploying.md, "The media bucket").
 */

/** Media kept this long by default (a year), then deleted by the bucket: configurable per deployment. */
export const DEFAULT_MEDIA_RETENTION_DAYS = 365;
/** Uploads not sent within a day are deleted (the upload record's TTL is the same day). */
export const UPLOAD_RETENTION_DAYS = 1;

export class UsageError extends Error {}

const USAGE = `usage: npm run --silent deploy:media-bucket -- --bucket <name> [--retention-days <n>] [--cors-origin <origin>]...
  writes media-lifecycle.json and media-cors.json here, and prints the gcloud command that applies them`;

/** Cloud Storage's lifecycle configuration (the JSON `gcloud storage buckets update --lifecycle-file` takes). */
export function mediaLifecycle(retentionDays: number) {
  if (!Number.isInteger(retentionDays) || retentionDays < 1 || retentionDays > 36_500) {
    throw new UsageError(`--retention-days: ${retentionDays} is not a whole number of days from 1 to 36500`);
  }
  return {
    rule: [
      { action: { type: "Delete" }, condition: { age: UPLOAD_RETENTION_DAYS, matchesPrefix: ["uploads/"] } },
      { action: { type: "Delete" }, condition: { age: retentionDays, matchesPrefix: ["media/"] } },
    ],
  };
}

/** CORS for the apps' origins: PUT of an upload (its content type) and GET of a file, nothing else. */
export function mediaCors(origins: string[]) {
  for (const origin of origins) {
    if (!/^https:\/\/[a-z0-9.-]+(:\d+)?$|^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?$/.test(origin)) {
      throw new UsageError(`--cors-origin: ${JSON.stringify(origin)} is not an https origin (or a local http one)`);
    }
  }
  return origins.length === 0
    ? []
    : [{ origin: origins, method: ["GET", "PUT"], responseHeader: ["Content-Type"], maxAgeSeconds: 3600 }];
}

export function mediaBucketFromArgs(argv: string[]): { lifecycle: object; cors: object[]; command: string } {
  const { values } = parseArgs({
    args: argv,
    options: {
      bucket: { type: "string" },
      "retention-days": { type: "string", default: String(DEFAULT_MEDIA_RETENTION_DAYS) },
      "cors-origin": { type: "string", multiple: true, default: [] },
    },
    strict: true,
  });
  const bucket = values.bucket ?? "";
  if (!/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(bucket)) throw new UsageError(`--bucket is required\n${USAGE}`);
  const lifecycle = mediaLifecycle(Number(values["retention-days"]));
  const cors = mediaCors(values["cors-origin"]!);
  const command =
    `gcloud storage buckets update gs://${bucket} --lifecycle-file=media-lifecycle.json` +
    (cors.length ? " --cors-file=media-cors.json" : "");
  return { lifecycle, cors, command };
}

if (require.main === module) {
  try {
    const { lifecycle, cors, command } = mediaBucketFromArgs(process.argv.slice(2));
    writeFileSync("media-lifecycle.json", `${JSON.stringify(lifecycle, null, 2)}\n`);
    if (cors.length) writeFileSync("media-cors.json", `${JSON.stringify(cors, null, 2)}\n`);
    process.stdout.write(`${command}\n`);
  } catch (err) {
    const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(usage ? 64 : 1);
  }
}
