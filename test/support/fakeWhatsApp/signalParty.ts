/**
 * One Signal party held in memory: creds, a key store and Baileys' own libsignal repository
 * over them. The fake edge's contacts are parties; a test can also pit two parties against
 * each other with one of them on the Firestore session store.
 */
import type {
  AuthenticationCreds,
  SignalDataSet,
  SignalDataTypeMap,
  SignalKeyStore,
  SignalRepositoryWithLIDStore,
} from "@whiskeysockets/baileys";
import { loadPinnedBaileys as loadBaileys } from "../../../worker/src/transport/baileys/module.js";
import { pino } from "pino";

export const silentBaileysLogger = pino({ level: "silent" });

/** A SignalKeyStore in a Map: what a session store must behave like, minus durability. */
export function memoryKeyStore(): SignalKeyStore & { size(): number } {
  const data = new Map<string, unknown>();
  return {
    async get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]) {
      const found: { [id: string]: SignalDataTypeMap[T] } = {};
      for (const id of ids) {
        const value = data.get(`${type}/${id}`);
        if (value !== undefined) found[id] = value as SignalDataTypeMap[T];
      }
      return found;
    },
    async set(set: SignalDataSet) {
      for (const [type, values] of Object.entries(set)) {
        for (const [id, value] of Object.entries(values ?? {})) {
          if (value === null || value === undefined) data.delete(`${type}/${id}`);
          else data.set(`${type}/${id}`, value);
        }
      }
    },
    size: () => data.size,
  };
}

export interface SignalParty {
  creds: AuthenticationCreds;
  keys: SignalKeyStore;
  repository: SignalRepositoryWithLIDStore;
}

/** A party over the given key store (default: a fresh in-memory one) and creds (default: new ones). */
export async function signalParty(
  keys: SignalKeyStore = memoryKeyStore(),
  givenCreds?: AuthenticationCreds,
): Promise<SignalParty> {
  const { addTransactionCapability, DEFAULT_CONNECTION_CONFIG, initAuthCreds } = await loadBaileys();
  const creds = givenCreds ?? initAuthCreds();
  const transactional = addTransactionCapability(keys, silentBaileysLogger, {
    maxCommitRetries: 1,
    delayBetweenTriesMs: 0,
  });
  const auth = { creds, keys: transactional };
  return {
    creds,
    keys: transactional,
    repository: DEFAULT_CONNECTION_CONFIG.makeSignalRepository(auth, silentBaileysLogger),
  };
}
