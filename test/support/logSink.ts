import { Writable } from "node:stream";

/** A stream a logger can write to, keeping each JSON line it gets, parsed. */
export function jsonLineSink(): { sink: Writable; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { sink, lines };
}
