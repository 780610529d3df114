import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { localStackPorts, REPO_ROOT } from "../../scripts/lib/project";

/**
 * What the README and docs/*.md name exists: every relative link (and its #anchor), every
 * `npm run` script, every repository path written in backticks, and the local stack's ports.
 * A file renamed without its documentation fails here, not in a new user's terminal.
 */

const DOCUMENTS = [
  "README.md",
  ...readdirSync(join(REPO_ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];
const read = (file: string) => readFileSync(join(REPO_ROOT, file), "utf8");

/** The text with fenced code blocks blanked out (line numbers kept). */
function prose(text: string): string {
  let fenced = false;
  return text
    .split("\n")
    .map((line) => {
      if (/^\s*```/.test(line)) {
        fenced = !fenced;
        return "";
      }
      return fenced ? "" : line;
    })
    .join("\n");
}

/** GitHub's heading anchor (github-slugger): lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, heading] of prose(text).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const plain = heading!.replace(/\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/[`*]/g, "");
    const slug = plain
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
      .replace(/ /g, "-");
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** Each problem as "file:line: what". */
function problems(check: (file: string, line: string) => string[]): string[] {
  return DOCUMENTS.flatMap((file) =>
    read(file)
      .split("\n")
      .flatMap((line, i) => check(file, line).map((p) => `${file}:${i + 1}: ${p}`)),
  );
}

const REPOSITORY_FILES = spawnSync("git", ["ls-files"], { cwd: REPO_ROOT, encoding: "utf8" }).stdout.split("\n");
const TOP_LEVEL = new Set(REPOSITORY_FILES.filter((f) => f.includes("/")).map((f) => f.split("/")[0]!));
const FILE_EXTENSION = /\.(ts|js|mjs|cjs|json|md|sh|ya?ml|rules|tgz)$/;

/** A backticked string that names a file or folder of this repository (not a Firestore path, URL or pattern). */
function isRepositoryPath(code: string): boolean {
  if (!code.includes("/") || /[\s{}<>*…:|\\]/.test(code) || code.startsWith("/") || code.startsWith("~")) return false;
  return TOP_LEVEL.has(code.split("/")[0]!) || FILE_EXTENSION.test(code);
}

/** It exists, or git ignores it: a build output or local file the docs describe (functions/lib, functions/.secret.local). */
function pathExists(path: string): boolean {
  if (existsSync(join(REPO_ROOT, path))) return true;
  // A folder pattern (functions/lib/) matches a path git does not know is a folder only with its slash.
  const ignored = (p: string) => spawnSync("git", ["check-ignore", "-q", p], { cwd: REPO_ROOT }).status === 0;
  return ignored(path) || ignored(`${path.replace(/\/$/, "")}/`);
}

const FILE_NAMES = new Set(REPOSITORY_FILES.map((f) => f.slice(f.lastIndexOf("/") + 1)));

function scriptsOf(packageDir: string): Record<string, string> {
  return (JSON.parse(read(join(packageDir, "package.json"))) as { scripts?: Record<string, string> }).scripts ?? {};
}

describe("the README and docs/ name what exists", () => {
  it("reads the README and every docs/*.md", () => {
    assert.ok(DOCUMENTS.length >= 8, DOCUMENTS.join(", "));
  });

  it("every relative link resolves to a file, and its #anchor to a heading of that file", () => {
    const found = problems((file, line) =>
      [...prose(line).matchAll(/\]\(([^)\s]+)\)/g)].flatMap(([, target]) => {
        if (/^[a-z][a-z+.-]*:/i.test(target!)) return []; // http:, https:, mailto:
        const [path, anchor] = target!.split("#") as [string, string | undefined];
        const resolved = path ? relative(REPO_ROOT, join(REPO_ROOT, dirname(file), decodeURI(path))) : file;
        if (!existsSync(join(REPO_ROOT, resolved))) return [`link ${target} → ${resolved} does not exist`];
        if (anchor === undefined) return [];
        if (!resolved.endsWith(".md")) return [`link ${target}: an anchor into a file that is not markdown`];
        return anchorsOf(read(resolved)).has(anchor) ? [] : [`link ${target}: ${resolved} has no heading #${anchor}`];
      }),
    );
    assert.deepEqual(found, []);
  });

  it("every npm script named (npm start, npm test, npm run X, npm run X -w workspace) exists", () => {
    const root = scriptsOf(".");
    const found = problems((_file, line) => {
      const named = [
        ...[...line.matchAll(/\bnpm (start|test)\b/g)].map(([, s]) => ({ script: s!, workspace: "." })),
        ...[...line.matchAll(/\bnpm run (?:--?[\w-]+ )*([\w:.-]+)((?: +--?[\w-]+(?:[ =][\w./-]+)?)*)/g)].map(
          ([, s, flags]) => ({
            script: s!,
            workspace: /(?:-w|--workspace)[ =]([\w./-]+)/.exec(flags ?? "")?.[1] ?? ".",
          }),
        ),
      ];
      return named
        .filter(({ script, workspace }) => !(script in (workspace === "." ? root : scriptsOf(workspace))))
        .map(({ script, workspace }) => `npm script "${script}" is not in ${join(workspace, "package.json")}`);
    });
    assert.deepEqual(found, []);
  });

  it("every repository path named in backticks exists", () => {
    const found = problems((_file, line) =>
      [...prose(line).matchAll(/`([^`\n]+)`/g)]
        .map(([, code]) => code!.replace(/[.,;:]$/, ""))
        .filter(isRepositoryPath)
        .filter((path) => !pathExists(path))
        .map((path) => `\`${path}\` does not exist`),
    );
    assert.deepEqual(found, []);
  });

  it("every source file named alone in backticks (`sendStore.ts`) is a file of the repository", () => {
    const found = problems((_file, line) =>
      [...prose(line).matchAll(/`([\w.-]+\.(?:ts|sh|mjs))`/g)]
        .map(([, name]) => name!)
        .filter((name) => !FILE_NAMES.has(name))
        .map((name) => `\`${name}\` is no file of the repository`),
    );
    assert.deepEqual(found, []);
  });

  it("the README's local-stack table names the ports npm start listens on", () => {
    const section = /## The local stack[^\n]*\n([\s\S]*?)\n## /.exec(read("README.md"))?.[1] ?? "";
    const portOf = (part: string) => {
      const row = section.split("\n").find((l) => l.startsWith(`| ${part}`));
      return Number(/127\.0\.0\.1:(\d+)/.exec(row ?? "")?.[1]);
    };
    const config = JSON.parse(read("firebase.json")) as { emulators: Record<string, { port: number }> };
    assert.deepEqual(
      {
        firestore: portOf("Firestore emulator"),
        auth: portOf("Auth emulator"),
        functions: portOf("Functions emulator"),
        worker: portOf("Worker"),
      },
      {
        firestore: config.emulators.firestore!.port,
        auth: config.emulators.auth!.port,
        functions: config.emulators.functions!.port,
        worker: localStackPorts({}).worker,
      },
    );
  });
});
