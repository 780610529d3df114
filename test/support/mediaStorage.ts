import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeCloudStorage, testSigningKey } from "./fakeCloudStorage";

/**
 * Cloud Storage for a stack under test: the fake on 127.0.0.1, trusting a fresh test key that the
 * functions sign URLs with (a service-account key file in GOOGLE_APPLICATION_CREDENTIALS, as a
 * developer signs locally; its token URI is a dead loopback port, so nothing ever leaves
 * 127.0.0.1). `functionsEnv` points the functions at both; `workerEnv` points a worker at the fake.
 */
export interface MediaStorage {
  storage: FakeCloudStorage;
  bucket: string;
  functionsEnv: Record<string, string>;
  workerEnv: Record<string, string>;
  stop(): Promise<void>;
}

export async function startMediaStorage(projectId: string): Promise<MediaStorage> {
  const storage = await FakeCloudStorage.start();
  const { key, publicKey } = testSigningKey();
  storage.trustSigner(key.client_email, publicKey);
  const dir = mkdtempSync(join(tmpdir(), "wa-media-key-"));
  const keyFile = join(dir, "functions-signer.json");
  writeFileSync(
    keyFile,
    JSON.stringify({
      type: "service_account",
      project_id: projectId,
      private_key_id: "test-signer",
      private_key: key.private_key,
      client_email: key.client_email,
      client_id: "1",
      token_uri: "http://127.0.0.1:9/token",
    }),
    { mode: 0o600 },
  );
  // The default bucket of both the functions and the worker (MEDIA_BUCKET unset).
  const common = { STORAGE_EMULATOR_HOST: storage.url };
  return {
    storage,
    bucket: `${projectId}.firebasestorage.app`,
    functionsEnv: { ...common, GOOGLE_APPLICATION_CREDENTIALS: keyFile },
    workerEnv: common,
    async stop() {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
