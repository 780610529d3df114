import type {
  AuthenticationCreds,
  AuthenticationState,
  SignalDataSet,
  SignalDataTypeMap,
  SignalKeyStore,
} from "@whiskeysockets/baileys";
import type { SessionStore } from "../transport";
import type { Baileys } from "./module";

/**
 * Baileys' auth state over a SessionStore: `keys.get`/`keys.set` read and commit one document
 * per key, `saveCreds` commits the creds. Each `keys.set` is one commit, so what Baileys
 * commits together (a ratchet step and its pre-key use) lands together or not at all.
 */
export async function sessionAuthState(
  B: Baileys,
  session: SessionStore,
): Promise<{ state: AuthenticationState; saveCreds: () => Promise<void>; linked: boolean }> {
  const stored = await session.readCreds();
  const creds = (stored as AuthenticationCreds | undefined) ?? B.initAuthCreds();
  const keys: SignalKeyStore = {
    async get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]) {
      const found = await session.readKeys(type, ids);
      const out: { [id: string]: SignalDataTypeMap[T] } = {};
      for (const [id, value] of Object.entries(found)) {
        // JSON loses the protobuf class; Baileys needs it back for app-state keys.
        out[id] = (
          type === "app-state-sync-key" ? B.proto.Message.AppStateSyncKeyData.fromObject(value as object) : value
        ) as SignalDataTypeMap[T];
      }
      return out;
    },
    async set(data: SignalDataSet) {
      await session.commit({ keys: data as Record<string, Record<string, unknown>> });
    },
  };
  return {
    state: { creds, keys },
    saveCreds: () => session.commit({ creds: creds as unknown as Record<string, unknown> }),
    linked: stored !== undefined,
  };
}
