import { spawn } from "node:child_process";
import { join } from "node:path";
import { EmulatorNotFoundError, startFirestoreEmulator } from "./emulators/firestore";
import { stopAllChildren } from "./lib/children";
import { localEnv, localProjectId, REPO_ROOT } from "./lib/project";

/**
 * `tsx scripts/with-emulator.ts -- <command...>`: starts the Firestore emulator, runs the command
 * with the emulator's environment, and stops the emulator however the command ends.
 */
async function main(): Promise<number> {
  const sep = process.argv.indexOf("--");
  const [command, ...args] = sep >= 0 ? process.argv.slice(sep + 1) : [];
  if (!command) {
    console.error("usage: tsx scripts/with-emulator.ts -- <command> [args...]");
    return 2;
  }
  const projectId = localProjectId();
  let emulator;
  try {
    emulator = await startFirestoreEmulator({ projectId, rulesPath: join(REPO_ROOT, "firestore.rules") });
  } catch (err) {
    console.error(
      err instanceof EmulatorNotFoundError
        ? err.message
        : `Firestore emulator failed to start: ${(err as Error).message}`,
    );
    return 1;
  }
  console.error(`Firestore emulator on ${emulator.host} (${emulator.source}), project ${projectId}`);

  const child = spawn(command, args, {
    stdio: "inherit",
    env: { ...process.env, ...localEnv(projectId, emulator.host) },
    shell: false,
  });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  process.on("SIGINT", forward("SIGINT"));
  process.on("SIGTERM", forward("SIGTERM"));
  const code = await new Promise<number>((resolve) => {
    child.on("exit", (c) => resolve(c ?? 1));
    child.on("error", (err) => {
      console.error(`${command}: ${err.message}`);
      resolve(127);
    });
  });
  await emulator.stop();
  await stopAllChildren();
  return code;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
