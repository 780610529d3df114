import { writeFileSync } from "node:fs";
import { setFlagsFromString, writeHeapSnapshot } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * Preloaded into a worker process by the Baileys bench (`--import`): on SIGUSR2 it runs full
 * collections and writes the process's memory (and its peak RSS so far) to MEMORY_PROBE_FILE (and, with
 * MEMORY_PROBE_SNAPSHOT, a heap snapshot there), so the bench reads memory after GC without the
 * worker serving anything for it.
 */
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

process.on("SIGUSR2", () => {
  void (async () => {
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 200));
    }
    const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
    const peakRss = process.resourceUsage().maxRSS * 1024;
    if (process.env.MEMORY_PROBE_SNAPSHOT) writeHeapSnapshot(process.env.MEMORY_PROBE_SNAPSHOT);
    writeFileSync(process.env.MEMORY_PROBE_FILE!, JSON.stringify({ rss, peakRss, heapUsed, heapTotal, external }));
  })();
});
