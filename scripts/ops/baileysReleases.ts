/**
 * The pure half of `npm run check:baileys`: version ordering, "how far behind" from the
 * registry's `time` map, the changelog excerpt and the report. No I/O here, so it is tested
 * without a network (test/fast/baileys-releases.test.ts).
 */

export const BAILEYS_PACKAGE = "@whiskeysockets/baileys";
export const BAILEYS_RELEASES_URL = "https://github.com/WhiskeySockets/Baileys/releases";
export const BAILEYS_CHANGELOG_URL = "https://github.com/WhiskeySockets/Baileys/blob/master/CHANGELOG.md";

/**
 * The suites that drive the real Baileys socket (against the fake WhatsApp edge) or load the
 * Baileys module: what a candidate version must pass. test/fast/baileys-releases.test.ts checks
 * that every test file using the fake edge or loadBaileys is listed here.
 */
export const WHATSAPP_SUITES = [
  "test/transport/fake-whatsapp-edge.test.ts",
  "test/transport/baileys-worker.test.ts",
  "test/transport/reachout-timelock.test.ts",
  "test/transport/inbound-media.test.ts",
  "test/e2e/media.test.ts",
  "test/e2e/send-over-baileys.test.ts",
  "test/worker/session-store.test.ts",
  "test/monitoring/canary.test.ts",
] as const;

type Identifier = string | number;

export interface Version {
  raw: string;
  release: [number, number, number];
  /** The prerelease split into identifiers, letters and digits apart: `rc.9` and `rc9` are both ["rc", 9]. */
  pre: Identifier[];
}

const VERSION = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

/** A semver version, or null (the `time` map also holds `created` and `modified`). */
export function parseVersion(raw: string): Version | null {
  const m = VERSION.exec(raw.trim());
  if (!m) return null;
  // Baileys named its release candidates both `7.0.0-rc.9` and `7.0.0-rc10`: strict semver
  // orders every `rc.N` before `rc10` and `rc100` before `rc14` (the text "rc10" against "rc14").
  // Splitting letters from digits orders both spellings by their number.
  const pre = (m[4] ?? "")
    .split(/[.-]/)
    .filter(Boolean)
    .flatMap((part) => part.match(/\d+|\D+/g) ?? [])
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  return { raw, release: [Number(m[1]), Number(m[2]), Number(m[3])], pre };
}

export function isPrerelease(v: Version): boolean {
  return v.pre.length > 0;
}

function compareIdentifiers(a: Identifier, b: Identifier): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "number") return -1; // numeric identifiers sort before alphanumeric ones (semver)
  if (typeof b === "number") return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Negative when a is older than b. A release sorts after its prereleases (7.0.0-rc14 < 7.0.0). */
export function compareVersions(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) {
    const d = a.release[i]! - b.release[i]!;
    if (d !== 0) return d;
  }
  if (!a.pre.length || !b.pre.length) return (a.pre.length ? -1 : 0) - (b.pre.length ? -1 : 0);
  for (let i = 0; i < Math.max(a.pre.length, b.pre.length); i++) {
    if (a.pre[i] === undefined) return -1;
    if (b.pre[i] === undefined) return 1;
    const d = compareIdentifiers(a.pre[i]!, b.pre[i]!);
    if (d !== 0) return d;
  }
  return 0;
}

export interface Published {
  version: string;
  /** ISO time of publication, as the registry says (null when it gives none). */
  date: string | null;
}

export interface ReleaseSummary {
  pinned: Published;
  /** The highest version without a prerelease tag, and the highest with one. */
  newestRelease: Published | null;
  newestPrerelease: Published | null;
  /** The highest version of all. */
  newest: Published;
  /** Every published version above the pinned one, oldest first: how far behind the pin is. */
  newer: Published[];
  /** Of those, the ones without a prerelease tag. */
  newerReleases: number;
}

/**
 * From the registry's `time` map (`npm view <pkg> time --json`: version → ISO date, plus
 * `created`/`modified`). Ordered by version, not by date: a backport on an older line published
 * later is not "newer", and this registry's dates are not monotonic in the version.
 */
export function summarizeReleases(pinnedRaw: string, time: Record<string, string>): ReleaseSummary {
  const pinned = parseVersion(pinnedRaw);
  if (!pinned) throw new Error(`the pinned Baileys version is not an exact version: ${JSON.stringify(pinnedRaw)}`);
  const all = Object.keys(time)
    .map(parseVersion)
    .filter((v): v is Version => v !== null)
    .sort(compareVersions);
  const published = (v: Version): Published => ({ version: v.raw, date: time[v.raw] ?? null });
  const releases = all.filter((v) => !isPrerelease(v));
  const prereleases = all.filter(isPrerelease);
  const newer = all.filter((v) => compareVersions(v, pinned) > 0);
  const newest = all.length && compareVersions(all.at(-1)!, pinned) > 0 ? all.at(-1)! : pinned;
  return {
    pinned: { version: pinned.raw, date: time[pinned.raw] ?? null },
    newestRelease: releases.length ? published(releases.at(-1)!) : null,
    newestPrerelease: prereleases.length ? published(prereleases.at(-1)!) : null,
    newest: published(newest),
    newer: newer.map(published),
    newerReleases: newer.filter((v) => !isPrerelease(v)).length,
  };
}

/**
 * The part of a CHANGELOG.md about the versions after `pinned` up to `newest` (headings such as
 * `## [7.0.0-rc15](…) (2026-09-01)` or `# 7.0.0-rc15`), at most `maxLines` lines; null when no
 * heading names such a version.
 */
export function changelogBetween(changelog: string, pinned: string, newest: string, maxLines = 60): string | null {
  const low = parseVersion(pinned);
  const high = parseVersion(newest);
  if (!low || !high) return null;
  const lines = changelog.split("\n");
  const kept: string[] = [];
  let keeping = false;
  for (const line of lines) {
    const heading = /^#{1,3}\s+\[?v?(\d+\.\d+\.\d+[0-9A-Za-z.+-]*)\]?/.exec(line);
    if (heading) {
      const v = parseVersion(heading[1]!);
      if (v) keeping = compareVersions(v, low) > 0 && compareVersions(v, high) <= 0;
    }
    if (keeping) kept.push(line);
  }
  if (!kept.length) return null;
  return kept.length > maxLines
    ? [...kept.slice(0, maxLines), `… (${kept.length - maxLines} more lines)`].join("\n")
    : kept.join("\n");
}

const day = (iso: string | null) => (iso ? iso.slice(0, 10) : "date unknown");

/** The report of `npm run check:baileys` with no candidate. */
export function formatReleaseReport(
  s: ReleaseSummary,
  changelog: { source: string; excerpt: string | null } | null,
): string {
  const out = [
    `Baileys (${BAILEYS_PACKAGE})`,
    `  pinned            ${s.pinned.version} (${day(s.pinned.date)}), worker/package.json`,
    `  newest release    ${s.newestRelease ? `${s.newestRelease.version} (${day(s.newestRelease.date)})` : "none"}`,
    `  newest prerelease ${s.newestPrerelease ? `${s.newestPrerelease.version} (${day(s.newestPrerelease.date)})` : "none"}`,
  ];
  if (s.newer.length === 0) {
    out.push(`  up to date: no published version is newer than ${s.pinned.version}`);
  } else {
    out.push(
      `  ${s.newer.length} version${s.newer.length === 1 ? "" : "s"} behind (${s.newerReleases} release${s.newerReleases === 1 ? "" : "s"}, ${s.newer.length - s.newerReleases} prerelease${s.newer.length - s.newerReleases === 1 ? "" : "s"}):`,
      ...s.newer.map((p) => `    ${p.version.padEnd(18)} ${day(p.date)}`),
      `  try the newest: npm run check:baileys -- --candidate ${s.newest.version}`,
    );
  }
  out.push(`  changelog: ${BAILEYS_RELEASES_URL} and ${BAILEYS_CHANGELOG_URL}`);
  if (changelog?.excerpt) out.push(`  from ${changelog.source}:`, "", changelog.excerpt);
  else if (changelog) out.push(`  ${changelog.source} names none of the newer versions`);
  else if (s.newer.length) out.push("  the package ships no CHANGELOG.md: read the releases page above");
  return out.join("\n");
}

/** What applying one of the repository's patches to the candidate came to. */
export type PatchOutcome = { patch: string; kind: "applied" } | { patch: string; kind: "failed"; hunks: string[] };

/** The failing hunks in `patch --dry-run` output ("Hunk #2 FAILED at 120.", with the file before). */
export function failedHunks(patchOutput: string): string[] {
  let file = "";
  const failed: string[] = [];
  for (const line of patchOutput.split("\n")) {
    const patching = /^(?:checking|patching) file '?([^']+?)'?$/.exec(line.trim());
    if (patching) file = patching[1]!;
    const hunk = /^(Hunk #\d+ FAILED.*?)\.?$/.exec(line.trim());
    if (hunk) failed.push(`${file}: ${hunk[1]}`);
    const missing = /can't find file to patch|No file to patch/.exec(line);
    if (missing) failed.push(`${file || "a file"}: not in the candidate`);
  }
  return failed;
}

/** The summary at the end of a candidate run; the exit code is 0 only when everything passed. */
export function formatCandidateReport(r: {
  candidate: string;
  pinned: string;
  dir: string;
  patches: PatchOutcome[];
  suites: { ran: false; why: string } | { ran: true; passed: boolean };
}): { text: string; code: 0 | 1 } {
  const out = [`candidate ${BAILEYS_PACKAGE}@${r.candidate} (pinned ${r.pinned}), installed in ${r.dir}`];
  if (!r.patches.length) out.push("  patches: none in patches/");
  for (const p of r.patches) {
    if (p.kind === "applied") out.push(`  patch ${p.patch}: applies`);
    else out.push(`  patch ${p.patch}: DOES NOT APPLY`, ...p.hunks.map((h) => `    ${h}`));
  }
  if (!r.suites.ran) out.push(`  WhatsApp suites: not run (${r.suites.why})`);
  else out.push(`  WhatsApp suites: ${r.suites.passed ? "passed" : "FAILED (their output is above)"}`);
  const ok = r.patches.every((p) => p.kind === "applied") && (!r.suites.ran || r.suites.passed);
  out.push(
    ok
      ? "  next: bump the exact pin in worker/package.json, npm install, regenerate the patches, npm test (docs/operations.md#upgrading-baileys)"
      : "  next: read the failures; a patch that does not apply is redone on the candidate (docs/operations.md#upgrading-baileys)",
  );
  return { text: out.join("\n"), code: ok ? 0 : 1 };
}
