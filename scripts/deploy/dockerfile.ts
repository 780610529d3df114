import { readFileSync } from "node:fs";

/**
 * Just enough of a Dockerfile reader to replay one stage's COPY and RUN lines without Docker
 * (no engine runs on these machines): the container check runs the image's install step exactly
 * as written. Handles what worker/Dockerfile uses: ARG, FROM … AS, WORKDIR, COPY, RUN with `\`
 * continuations, CMD in exec form; anything else in the replayed stage is refused.
 */

export type StageStep = { kind: "copy"; sources: string[]; dest: string } | { kind: "run"; command: string };

export interface Dockerfile {
  stage(name: string): StageStep[];
  cmd(): string[];
}

function logicalLines(text: string): string[] {
  const lines: string[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trimEnd();
    if (!pending && (line.trim() === "" || line.trimStart().startsWith("#"))) continue;
    if (line.endsWith("\\")) {
      pending += line.slice(0, -1) + " ";
      continue;
    }
    lines.push((pending + line).trim());
    pending = "";
  }
  return lines;
}

export function readDockerfile(path: string): Dockerfile {
  const lines = logicalLines(readFileSync(path, "utf8"));
  const stages = new Map<string, string[]>();
  let current: string[] | undefined;
  let cmd: string[] | undefined;
  for (const line of lines) {
    const [instruction = "", ...rest] = line.split(/\s+/);
    const args = line.slice(instruction.length).trim();
    if (instruction === "FROM") {
      current = [];
      const as = /\bAS\s+(\S+)$/i.exec(args);
      stages.set(as ? as[1]! : `#${stages.size}`, current);
    } else if (instruction === "CMD") {
      cmd = JSON.parse(args) as string[];
    } else if (current && rest.length) {
      current.push(line);
    }
  }
  return {
    stage(name) {
      const body = stages.get(name);
      if (!body) throw new Error(`${path}: no stage named ${name}`);
      return body.flatMap((line): StageStep[] => {
        const [instruction, ...words] = line.split(/\s+/);
        switch (instruction) {
          case "WORKDIR":
          case "ENV":
            return [];
          case "COPY": {
            if (words.some((w) => w.startsWith("--"))) throw new Error(`${path}: cannot replay "${line}"`);
            const dest = words.pop()!;
            return [{ kind: "copy", sources: words, dest }];
          }
          case "RUN":
            return [{ kind: "run", command: line.slice("RUN".length).trim() }];
          default:
            throw new Error(`${path}: cannot replay "${line}"`);
        }
      });
    },
    cmd() {
      if (!cmd) throw new Error(`${path}: no CMD in exec form`);
      return cmd;
    },
  };
}
