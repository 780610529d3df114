import type { CacheStore } from "@whiskeysockets/baileys";
import { LRUCache } from "lru-cache";

/** A bounded CacheStore (Baileys' key store and retry counters take one); closing empties it. */
export function boundedCache(max: number, ttlMs?: number): CacheStore & { close(): void } {
  const cache = new LRUCache<string, { value: unknown }>({ max, ...(ttlMs ? { ttl: ttlMs } : {}) });
  return {
    get: <T>(key: string) => cache.get(key)?.value as T | undefined,
    set: <T>(key: string, value: T) => void cache.set(key, { value }),
    del: (key: string) => void cache.delete(key),
    flushAll: () => cache.clear(),
    close: () => cache.clear(),
  };
}
