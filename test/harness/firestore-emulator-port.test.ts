import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import { startFirestoreEmulator } from "../../scripts/emulators/firestore";
import { freePort } from "../../scripts/lib/ports";

/**
 * Three shards start their emulators at once: a port found free can be taken before the emulator
 * binds it (another emulator's WebSocket server picks its own port at random). Seen in CI as
 * "BindException: Address already in use", which failed a whole shard.
 */
describe("the Firestore emulator's start when its free port was taken meanwhile", function () {
  this.timeout(120_000);
  let busy: Server;
  let preset: string | undefined;
  before(async () => {
    // Whatever connects to it (the readiness probe) is cut off at once.
    busy = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    preset = process.env.FIRESTORE_EMULATOR_HOST;
    delete process.env.FIRESTORE_EMULATOR_HOST;
  });
  after(async () => {
    if (preset !== undefined) process.env.FIRESTORE_EMULATOR_HOST = preset;
    await new Promise<void>((resolve) => busy.close(() => resolve()));
  });

  it("tries another port instead of failing", async () => {
    const taken = (busy.address() as { port: number }).port;
    const offered: number[] = [];
    const emulator = await startFirestoreEmulator({
      projectId: "demo-wa-gateway",
      pickPort: async () => {
        const port = offered.length === 0 ? taken : await freePort();
        offered.push(port);
        return port;
      },
    });
    try {
      assert.equal(offered[0], taken);
      assert.equal(emulator.host, `127.0.0.1:${offered[1]}`);
      await emulator.reset();
    } finally {
      await emulator.stop();
    }
  });
});
