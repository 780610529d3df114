import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");

interface LockEntry {
  name?: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [field: string]: unknown;
}

/** Where Node would find `name` from the package installed at `from` (a lockfile path), or undefined. */
function resolveIn(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  for (let dir = from; ;) {
    const candidate = `${dir ? `${dir}/` : ""}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!dir) return undefined;
    const cut = dir.lastIndexOf("/node_modules/");
    dir = cut === -1 ? "" : dir.slice(0, cut);
  }
}

/**
 * A package-lock.json for an app whose `firebase` is the repository's installed `installedAs`
 * (`firebase`, or the `firebase13` alias of the newest major), plus `zod`: the dependency closure
 * taken from the repository's own lockfile, moved to where the app has it. `npm ci --offline`
 * then installs it from the npm cache the repository's `npm ci` filled (by integrity), so the
 * test reaches no registry.
 */
function appLock(installedAs: string): { lock: object; firebaseVersion: string; zodVersion: string } {
  const repoLock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, LockEntry>;
  };
  const { packages } = repoLock;
  const picked = new Map<string, LockEntry>();
  const visit = (path: string) => {
    if (picked.has(path)) return;
    const entry = packages[path];
    if (!entry) throw new Error(`${path} is not in package-lock.json`);
    picked.set(path, entry);
    // Peers too: npm installs them, so the app's lockfile must hold them.
    const deps = { ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies };
    for (const dep of Object.keys(deps)) {
      const found = resolveIn(packages, path, dep);
      const optional = entry.optionalDependencies?.[dep] || entry.peerDependenciesMeta?.[dep]?.optional;
      if (found) visit(found);
      else if (!optional) throw new Error(`${path} needs ${dep}, which the repository did not install`);
    }
  };
  visit(`node_modules/${installedAs}`);
  visit("node_modules/zod");

  // With `resolved` and `integrity`, npm takes each tarball from its cache by integrity; without
  // `resolved` (this lockfile omits it) it would first ask the registry for the package's metadata.
  const registry = execFileSync("npm", ["config", "get", "registry"], { encoding: "utf8" }).trim().replace(/\/$/, "");
  const relocated: Record<string, object> = {};
  const hoisted: Record<string, object> = {};
  for (const [path, entry] of picked) {
    const { name: alias, dev: _dev, devOptional: _devOptional, peer: _peer, ...rest } = entry;
    const name = alias ?? path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
    rest.resolved ??= `${registry}/${name}/-/${name.split("/").pop()}-${entry.version}.tgz`;
    // The alias's own packages go where an app that has only this firebase has them: its nested
    // node_modules are hoisted to the top, in place of the other major's (the repository's
    // @firebase/functions, shared by both majors, would otherwise meet the other @firebase/app).
    const nested = `node_modules/${installedAs}/node_modules/`;
    if (path === `node_modules/${installedAs}`) relocated["node_modules/firebase"] = rest;
    else if (path.startsWith(nested)) hoisted[`node_modules/${path.slice(nested.length)}`] = rest;
    else relocated[path] = rest;
  }
  Object.assign(relocated, hoisted);
  const firebaseVersion = packages[`node_modules/${installedAs}`]!.version;
  const zodVersion = packages["node_modules/zod"]!.version;
  return {
    firebaseVersion,
    zodVersion,
    lock: {
      name: "scratch-app",
      version: "1.0.0",
      lockfileVersion: 3,
      requires: true,
      packages: {
        "": {
          name: "scratch-app",
          version: "1.0.0",
          dependencies: { firebase: firebaseVersion, zod: zodVersion },
        },
        ...relocated,
      },
    },
  };
}

/**
 * npm as an app's developer runs it: none of the repository's settings (its .npmrc has
 * legacy-peer-deps, which `npm run`/`npx` pass down as npm_config_* variables), only the cache.
 */
const appEnv = (): NodeJS.ProcessEnv => {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  if (process.env.npm_config_cache) env.npm_config_cache = process.env.npm_config_cache;
  return { ...env, npm_config_update_notifier: "false" };
};
const npm = (cwd: string, args: string[]) =>
  execFileSync("npm", [...args, "--offline", "--no-audit", "--no-fund", "--ignore-scripts"], {
    cwd,
    encoding: "utf8",
    stdio: "pipe",
    env: appEnv(),
  });

/**
 * A new app outside the repository (in the OS temp dir) with the given firebase installed, that
 * then installs `tarball` the way the README says (`npm install <tarball>`). Offline: the npm
 * cache only. Answers the app's folder and the firebase version it got.
 */
export function scratchApp(installedAs: "firebase" | "firebase13", tarball: string): { dir: string; firebase: string } {
  const dir = mkdtempSync(join(tmpdir(), "wa-scratch-app-"));
  const { lock, firebaseVersion, zodVersion } = appLock(installedAs);
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify(
      {
        name: "scratch-app",
        version: "1.0.0",
        private: true,
        type: "module",
        dependencies: { firebase: firebaseVersion, zod: zodVersion },
      },
      null,
      2,
    ),
  );
  writeFileSync(join(dir, "package-lock.json"), JSON.stringify(lock, null, 2));
  // The app's firebase as the repository resolved it (its lockfile was made with legacy-peer-deps),
  // then the client. npm 11.19's peer resolution at install asks the registry for each peer's
  // packument, which an offline install cannot (it reports `Found: firebase@undefined`), so the
  // peer range is checked after the install by `npm ls firebase`, which fails (ELSPROBLEMS) when
  // the app's firebase does not satisfy the client's peer range.
  npm(dir, ["ci", "--legacy-peer-deps=true"]);
  npm(dir, ["install", tarball, "--legacy-peer-deps=true"]);
  npm(dir, ["ls", "firebase"]);
  return { dir, firebase: firebaseVersion };
}
