import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "../lib/project";

/**
 * The functions' own errors and latency as Cloud Monitoring alert policies, kept as code in
 * deploy/monitoring/*.json. `npm run deploy:alert-policies -- --project P [--channel ID] [--out DIR]`
 * renders them (the deployed functions' names from functions/src/index.ts, the notification
 * channel from --channel or $WA_ALERT_NOTIFICATION_CHANNEL) and prints the gcloud commands that
 * apply them. Nothing is sent from here.
 */

export const POLICY_DIR = join(REPO_ROOT, "deploy", "monitoring");
const FUNCTIONS_INDEX = join(REPO_ROOT, "functions", "src", "index.ts");

export class UsageError extends Error {}

const USAGE = `usage: npm run --silent deploy:alert-policies -- --project <id> [--channel <channel id or name>] [--out <dir>]
  the channel defaults to $WA_ALERT_NOTIFICATION_CHANNEL (gcloud beta monitoring channels list)`;

/** The names functions/src/index.ts exports: what `firebase deploy` deploys. */
export function deployedFunctionNames(indexSource = readFileSync(FUNCTIONS_INDEX, "utf8")): string[] {
  return [...indexSource.matchAll(/^export \{ (\w+) \} from /gm)].map((m) => m[1]!);
}

/** A 2nd-gen function runs as the Cloud Run service of its name in lower case. */
export const serviceNameOf = (functionName: string) => functionName.toLowerCase();

/** `projects/P/notificationChannels/ID`, from an id or the full name (of that project). */
export function channelName(project: string, channel: string): string {
  if (/^\d+$/.test(channel)) return `projects/${project}/notificationChannels/${channel}`;
  if (new RegExp(`^projects/${project}/notificationChannels/\\d+$`).test(channel)) return channel;
  throw new UsageError(`--channel: ${JSON.stringify(channel)} is not a notification channel id of ${project}`);
}

export function renderPolicies(args: { project: string; channel: string; functionNames: string[] }) {
  const names = args.functionNames.map((n) => JSON.stringify(serviceNameOf(n))).join(", ");
  return readdirSync(POLICY_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((file) => {
      const text = readFileSync(join(POLICY_DIR, file), "utf8")
        // Inside a JSON string, so the quotes of the names are escaped once more.
        .replaceAll("${FUNCTION_SERVICE_NAMES}", names.replaceAll('"', '\\"'))
        .replaceAll("${NOTIFICATION_CHANNEL}", channelName(args.project, args.channel));
      if (text.includes("${")) throw new Error(`${file}: a placeholder is left after rendering`);
      return { file, policy: JSON.parse(text) as Record<string, unknown> };
    });
}

function main(): void {
  const { values } = parseArgs({
    options: { project: { type: "string" }, channel: { type: "string" }, out: { type: "string" } },
    strict: true,
  });
  const project = values.project;
  const channel = values.channel ?? process.env.WA_ALERT_NOTIFICATION_CHANNEL;
  if (!project || !/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(project)) throw new UsageError(USAGE);
  if (!channel) throw new UsageError(`no notification channel: --channel or $WA_ALERT_NOTIFICATION_CHANNEL\n${USAGE}`);
  const out = values.out ?? join(REPO_ROOT, "reports", "alert-policies");
  mkdirSync(out, { recursive: true });
  for (const { file, policy } of renderPolicies({ project, channel, functionNames: deployedFunctionNames() })) {
    const path = join(out, file);
    writeFileSync(path, JSON.stringify(policy, null, 2));
    console.log(`gcloud alpha monitoring policies create --project ${project} --policy-from-file ${path}`);
  }
  console.error(
    "(a policy of the same displayName is not replaced: delete the old one first, gcloud alpha monitoring policies list)",
  );
}

if (require.main === module) {
  try {
    main();
  } catch (err) {
    console.error((err as Error).message);
    process.exit(err instanceof UsageError ? 64 : 1);
  }
}
