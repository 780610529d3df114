import { readFileSync } from "node:fs";
import { join } from "node:path";

export const REPO_ROOT = join(__dirname, "..", "..");

/** The local project id: `.firebaserc`'s default, always a `demo-` project so no SDK reaches a real one. */
export function localProjectId(): string {
  const rc = JSON.parse(readFileSync(join(REPO_ROOT, ".firebaserc"), "utf8")) as { projects?: { default?: string } };
  const id = rc.projects?.default;
  if (!id?.startsWith("demo-"))
    throw new Error(`.firebaserc's default project must be a demo- project for local use, not ${id}`);
  return id;
}

/** Environment every local process shares: offline, pointed at the emulators, one project. */
export function localEnv(projectId: string, firestoreHost: string): Record<string, string> {
  return {
    GCLOUD_PROJECT: projectId,
    GOOGLE_CLOUD_PROJECT: projectId,
    FIRESTORE_EMULATOR_HOST: firestoreHost,
    METADATA_SERVER_DETECTION: "none",
  };
}
