import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import firebaseFunctionsTest from "firebase-functions-test";
import type { CallableFunction } from "firebase-functions/https";
import type * as FunctionsModule from "../../functions/src/index";

/**
 * The functions module, loaded once with its params set in the environment first: params do
 * not get their defaults outside the Functions runtime.
 */
export function loadFunctions(): typeof FunctionsModule {
  process.env.REGION ??= "us-central1";
  process.env.APP_CHECK_ENFORCE ??= "false";
  process.env.SEND_RATE_LIMIT_MAX ??= "1000";
  process.env.SEND_RATE_LIMIT_WINDOW_SEC ??= "60";
  process.env.CLAIM_RATE_LIMIT_MAX ??= "1000";
  process.env.CLAIM_RATE_LIMIT_WINDOW_SEC ??= "60";
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("../../functions/src/index") as typeof FunctionsModule;
}

/**
 * The functions module as a new Cloud Functions instance would load it: every module of
 * functions/src evaluated again, so nothing an earlier test's instance kept in memory (Telegram
 * clients and their per-chat pace, "alerts are off" said once) carries over.
 */
export function loadFreshFunctionsInstance(): typeof FunctionsModule {
  const source = `${resolve(__dirname, "../../functions/src")}/`;
  for (const id of Object.keys(require.cache)) if (id.startsWith(source)) delete require.cache[id];
  return loadFunctions();
}

/** The functions module with Telegram alerts off (no token, no chat): incidents are still recorded. */
export function loadFunctionsWithAlertsOff(): typeof FunctionsModule {
  process.env.TELEGRAM_BOT_TOKEN = "";
  process.env.TELEGRAM_CHAT_ID = "";
  return loadFunctions();
}

// Online mode against the emulator: without a projectId it would point GCLOUD_PROJECT elsewhere.
const fft = firebaseFunctionsTest({ projectId: process.env.GCLOUD_PROJECT });

/** Calls a v2 callable the way the Functions runtime would, with the given verified auth. */
export function callAs<T>(
  fn: CallableFunction<unknown, Promise<unknown>>,
  data: unknown,
  auth?: { uid: string; admin?: boolean },
  app?: { appId: string },
): Promise<T> {
  const wrapped = fft.wrap(fn as never) as (req: unknown) => Promise<T>;
  return wrapped({
    data,
    auth: auth ? { uid: auth.uid, token: auth.admin ? { admin: true, uid: auth.uid } : { uid: auth.uid } } : undefined,
    app: app ? { appId: app.appId, token: { app_id: app.appId } } : undefined,
    rawRequest: {},
  });
}

/** Runs `fn` with stdout and stderr captured (the functions logger writes there), returning the lines. */
export async function captureConsole<T>(
  fn: () => Promise<T>,
): Promise<{ result: T | undefined; error: unknown; lines: string[] }> {
  const lines: string[] = [];
  const streams = [process.stdout, process.stderr];
  const saved = streams.map((s) => s.write);
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      return true;
    }) as typeof stream.write;
  }
  try {
    return { result: await fn(), error: undefined, lines };
  } catch (error) {
    return { result: undefined, error, lines };
  } finally {
    streams.forEach((s, i) => (s.write = saved[i]!));
  }
}

/** A param's value in the demo project's env file (functions/.env.demo-wa-gateway), as the Functions emulator loads it. */
export function demoParam(name: string): string {
  const file = resolve(__dirname, "../../functions/.env.demo-wa-gateway");
  const line = readFileSync(file, "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${name}=`));
  if (line === undefined) throw new Error(`${name} is not in ${file}`);
  return line.slice(name.length + 1);
}
