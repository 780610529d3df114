/** Greedy longest-first: each file to the shard with the least expected time so far. */
export function dealFiles(files: string[], shards: number, durationOf: (file: string) => number): string[][] {
  const deals = Array.from({ length: Math.min(shards, files.length) }, () => ({ files: [] as string[], ms: 0 }));
  const heaviestFirst = [...files].sort((a, b) => durationOf(b) - durationOf(a) || a.localeCompare(b));
  for (const file of heaviestFirst) {
    const lightest = deals.reduce((min, d) => (d.ms < min.ms ? d : min));
    lightest.files.push(file);
    lightest.ms += durationOf(file);
  }
  return deals.map((d) => d.files.sort());
}
