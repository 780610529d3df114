/**
 * Greedy longest-first: each file to the shard with the least expected time so far. Files of one
 * `groupOf` (suites sharing a costly fixture, booted once per shard) go to one shard together.
 */
export function dealFiles(
  files: string[],
  shards: number,
  durationOf: (file: string) => number,
  groupOf: (file: string) => string | undefined = () => undefined,
): string[][] {
  const units = new Map<string, string[]>();
  for (const file of files) {
    const key = groupOf(file) ?? `file:${file}`;
    units.set(key, [...(units.get(key) ?? []), file]);
  }
  const weightOf = (unit: string[]) => unit.reduce((sum, file) => sum + durationOf(file), 0);
  const deals = Array.from({ length: Math.min(shards, units.size) }, () => ({ files: [] as string[], ms: 0 }));
  const heaviestFirst = [...units.values()].sort((a, b) => weightOf(b) - weightOf(a) || a[0]!.localeCompare(b[0]!));
  for (const unit of heaviestFirst) {
    const lightest = deals.reduce((min, d) => (d.ms < min.ms ? d : min));
    lightest.files.push(...unit);
    lightest.ms += weightOf(unit);
  }
  return deals.map((d) => d.files.sort());
}

/** Mocha's failure report (from "N failing" on), or the output's last lines if it never got that far. */
export function failureReport(output: string, tailLines = 40): string {
  const lines = output.split("\n");
  const start = lines.findIndex((line) => /^\s*\d+ failing/.test(line));
  return (start === -1 ? lines.slice(-tailLines) : lines.slice(start)).join("\n");
}
