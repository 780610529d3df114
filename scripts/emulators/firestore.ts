import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { startChild, type ManagedChild } from "../lib/children";
import { freePort, httpAnswers, waitUntil } from "../lib/ports";

/**
 * The official Cloud Firestore emulator, found the ways a developer may have it:
 * 1. FIRESTORE_EMULATOR_HOST already set: use that one, start nothing;
 * 2. the emulator jar of a Cloud SDK install (Debian's google-cloud-cli-firestore-emulator,
 *    or `gcloud components install cloud-firestore-emulator`), run on the machine's Java;
 * 3. firebase-tools' own download (`firebase setup:emulators:firestore`), which needs Java 21.
 */

export interface FirestoreEmulator {
  /** host:port, as FIRESTORE_EMULATOR_HOST wants it. */
  readonly host: string;
  readonly projectId: string;
  /** How it was found, for the status line. */
  readonly source: string;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export class EmulatorNotFoundError extends Error {}

const JAR_IN_SDK = join("platform", "cloud-firestore-emulator", "cloud-firestore-emulator.jar");

function javaMajorVersion(): number | undefined {
  const out = spawnSync("java", ["-version"], { encoding: "utf8" });
  if (out.error || out.status !== 0) return undefined;
  const m = /version "(\d+)(?:\.(\d+))?/.exec(`${out.stderr}${out.stdout}`);
  if (!m) return undefined;
  const major = Number(m[1]);
  return major === 1 ? Number(m[2]) : major;
}

function sdkJar(): string | undefined {
  const explicit = process.env.FIRESTORE_EMULATOR_JAR;
  if (explicit) {
    if (!existsSync(explicit)) throw new EmulatorNotFoundError(`FIRESTORE_EMULATOR_JAR=${explicit} does not exist.`);
    return explicit;
  }
  const roots = ["/usr/lib/google-cloud-sdk", "/usr/share/google-cloud-sdk", join(homedir(), "google-cloud-sdk")];
  const gcloud = spawnSync("gcloud", ["info", "--format=value(installation.sdk_root)"], { encoding: "utf8" });
  if (!gcloud.error && gcloud.status === 0 && gcloud.stdout.trim()) roots.unshift(gcloud.stdout.trim());
  return roots.map((root) => join(root, JAR_IN_SDK)).find((jar) => existsSync(jar));
}

function firebaseToolsJar(): string | undefined {
  const dir = join(homedir(), ".cache", "firebase", "emulators");
  if (!existsSync(dir)) return undefined;
  const jars = readdirSync(dir).filter((f) => /^cloud-firestore-emulator-v[\d.]+\.jar$/.test(f));
  return jars.length ? join(dir, jars.sort().at(-1)!) : undefined;
}

function emulatorApi(host: string, projectId: string) {
  return {
    async reset() {
      const res = await fetch(`http://${host}/emulator/v1/projects/${projectId}/databases/(default)/documents`, {
        method: "DELETE",
      });
      if (!res.ok) throw new Error(`Firestore emulator reset failed: HTTP ${res.status}`);
    },
  };
}

async function launch(
  name: string,
  command: string,
  args: string[],
  host: string,
  projectId: string,
  source: string,
): Promise<FirestoreEmulator> {
  const child: ManagedChild = startChild(name, command, args);
  try {
    await waitUntil("Firestore emulator", () => httpAnswers(`http://${host}/`), {
      timeoutMs: 90_000,
      abort: () => {
        const exit = child.exited();
        return exit ? `exited (${exit.code ?? exit.signal}) before it was ready:\n${child.tail()}` : undefined;
      },
    });
  } catch (err) {
    await child.stop();
    throw err;
  }
  return { host, projectId, source, ...emulatorApi(host, projectId), stop: () => child.stop() };
}

export async function startFirestoreEmulator(options: {
  projectId: string;
  rulesPath?: string;
  /** Port to listen on; a free one when not given. */
  port?: number;
  /** How a free port is found (tests give a busy one first). */
  pickPort?: () => Promise<number>;
}): Promise<FirestoreEmulator> {
  if (options.port !== undefined || process.env.FIRESTORE_EMULATOR_HOST) return startOnce(options);
  // A port found free can be taken before the emulator binds it (another shard's emulator opens
  // its own WebSocket port at random meanwhile): then a new one is tried.
  const pick = options.pickPort ?? freePort;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce({ ...options, port: await pick() });
    } catch (err) {
      if (attempt >= PORT_TRIES || !/Address already in use/.test((err as Error).message)) throw err;
    }
  }
}

/** Free ports tried before the emulator's start is given up. */
const PORT_TRIES = 3;

async function startOnce(options: {
  projectId: string;
  rulesPath?: string;
  port?: number;
}): Promise<FirestoreEmulator> {
  const { projectId, rulesPath } = options;
  const preset = process.env.FIRESTORE_EMULATOR_HOST;
  if (preset) {
    await waitUntil(`Firestore emulator at FIRESTORE_EMULATOR_HOST=${preset}`, () => httpAnswers(`http://${preset}/`), {
      timeoutMs: 5000,
    });
    return {
      host: preset,
      projectId,
      source: "FIRESTORE_EMULATOR_HOST",
      ...emulatorApi(preset, projectId),
      stop: async () => {},
    };
  }

  const java = javaMajorVersion();
  if (java === undefined) {
    throw new EmulatorNotFoundError(
      "Java not found: install Java 17+ (apt-get install openjdk-17-jre-headless) for the Firestore emulator, or set FIRESTORE_EMULATOR_HOST to a running one.",
    );
  }
  const port = options.port ?? (await freePort());
  const host = `127.0.0.1:${port}`;

  const jar = sdkJar();
  if (jar) {
    const args = [
      "-Duser.language=en",
      "-cp",
      jar,
      "com.google.cloud.datastore.emulator.firestore.CloudFirestore",
      "start",
    ];
    args.push("--host=127.0.0.1", `--port=${port}`);
    if (rulesPath) args.push(`--rules=${rulesPath}`);
    return launch("firestore-emulator", "java", args, host, projectId, `jar ${jar}`);
  }

  const cachedJar = firebaseToolsJar();
  if (cachedJar && java >= 21) {
    // firebase-tools' jar: drive it through the CLI so its own flags stay its business.
    const dir = mkdtempSync(join(tmpdir(), "wa-firestore-"));
    const config = join(dir, "firebase.json");
    const firestore = rulesPath ? { rules: rulesPath } : {};
    writeFileSync(
      config,
      JSON.stringify({
        firestore,
        emulators: {
          firestore: { host: "127.0.0.1", port },
          ui: { enabled: false },
          hub: { port: await freePort() },
          logging: { port: await freePort() },
        },
      }),
    );
    const args = ["firebase", "emulators:start", "--only", "firestore", "--project", projectId, "--config", config];
    return launch(
      "firestore-emulator",
      "npx",
      ["--no-install", ...args],
      host,
      projectId,
      `firebase-tools ${cachedJar}`,
    );
  }

  throw new EmulatorNotFoundError(
    cachedJar
      ? `Only firebase-tools' Firestore emulator was found, and it needs Java 21 (this is Java ${java}): install openjdk-21-jre-headless, or apt-get install google-cloud-cli-firestore-emulator.`
      : "Firestore emulator not found: apt-get install google-cloud-cli-firestore-emulator (or gcloud components install cloud-firestore-emulator), or with Java 21 run `npx firebase setup:emulators:firestore`; or set FIRESTORE_EMULATOR_HOST.",
  );
}
