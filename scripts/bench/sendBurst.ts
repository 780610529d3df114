import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { initializeApp as initializeAdminApp } from "firebase-admin/app";
import { getFirestore } from "firebase-admin/firestore";
import { newAccountDocument } from "@wa-gateway/core/proxies";
import { accounts, threads } from "@wa-gateway/data";
import { startFirebaseEmulators } from "../emulators/firebase";
import { REPO_ROOT } from "../lib/project";
import { percentile } from "./countingFirestore";

/**
 * `npm run bench -- send-burst`: concurrent whatsappProxySend calls through the Functions, Auth and
 * Firestore emulators (issue 27). Bursts where every call has its own thread and user, where one
 * user or ten co-writers hit one thread, then a sustained run of ten co-writers into one thread.
 * Transaction attempts per call come from the function's `send_transaction` log lines, written only
 * for a transaction that took more than one attempt or gave up (no line: one attempt).
 */

const ACCOUNT = "burst-acc";
/** The default per-user limit (SEND_RATE_LIMIT_MAX) is 30 a minute: every burst stays under it. */
const CALL_TIMEOUT_MS = 90_000;

interface User {
  uid: string;
  idToken: string;
}

interface CallOutcome {
  ms: number;
  ok: boolean;
  code?: string;
  requestId?: string;
}

export async function benchSendBurst(): Promise<void> {
  const projectId = process.env.GCLOUD_PROJECT!;
  const firestoreHost = process.env.FIRESTORE_EMULATOR_HOST!;
  execFileSync("npm", ["run", "build", "--silent"], { cwd: join(REPO_ROOT, "functions"), stdio: "inherit" });
  const attemptsOf = new Map<string, number>();
  let timeouts = 0;
  const emulators = await startFirebaseEmulators({
    projectId,
    firestoreHost,
    onOutput: (line) => {
      if (/timed out/i.test(line)) timeouts += 1;
      if (!line.includes("send_transaction")) return;
      const json = line.slice(line.indexOf("{"));
      try {
        const stats = JSON.parse(json) as { requestId?: string; attempts?: number };
        if (stats.requestId && typeof stats.attempts === "number") attemptsOf.set(stats.requestId, stats.attempts);
      } catch {
        // not the structured line
      }
    },
  });
  const db = getFirestore(initializeAdminApp({ projectId }, "bench-send-burst"));
  try {
    let signups = 0;
    const signUp = async (): Promise<User> => {
      const res = await fetch(
        `http://${emulators.authHost}/identitytoolkit.googleapis.com/v1/accounts:signUp?key=demo`,
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            email: `burst-${signups++}-${Date.now()}@example.test`,
            password: "password-123",
            returnSecureToken: true,
          }),
        },
      );
      const body = (await res.json()) as { localId: string; idToken: string };
      return { uid: body.localId, idToken: body.idToken };
    };
    const users = async (n: number) => Promise.all(Array.from({ length: n }, signUp));
    const everyone: User[] = [];
    const account = async (members: User[]) => {
      everyone.push(...members);
      await accounts.write(db, ACCOUNT).set(
        newAccountDocument({
          createdBy: "bench",
          now: new Date(),
          status: "connected",
          memberUids: everyone.map((u) => u.uid),
        }),
      );
    };

    let seq = 0;
    let retries = 0;
    /** One call as the typed client makes it: `unavailable` is retried under the same clientMessageId. */
    const call = async (user: User, threadId: string, peer: number): Promise<CallOutcome> => {
      const t0 = performance.now();
      const clientMessageId = `burst-${seq++}`;
      for (let attempt = 1; ; attempt++) {
        let outcome: CallOutcome;
        try {
          const res = await fetch(`${emulators.functionsUrl}/whatsappProxySend`, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${user.idToken}` },
            body: JSON.stringify({
              data: {
                threadId,
                accountId: ACCOUNT,
                toJid: `4071${String(peer).padStart(7, "0")}`,
                text: `burst message ${clientMessageId}`,
                clientMessageId,
              },
            }),
            signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
          });
          const body = (await res.json()) as { result?: { requestId: string }; error?: { status: string } };
          const ms = performance.now() - t0;
          outcome = body.result
            ? { ms, ok: true, requestId: body.result.requestId }
            : { ms, ok: false, code: body.error?.status ?? String(res.status) };
        } catch (err) {
          outcome = { ms: performance.now() - t0, ok: false, code: (err as Error).name };
        }
        if (outcome.ok || outcome.code !== "UNAVAILABLE" || attempt >= 5) return outcome;
        retries += 1;
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(8_000, 500 * 2 ** (attempt - 1))));
      }
    };

    let threadNo = 0;
    /** A thread owned by `owner`, with `coWriters`, made by one send before any measurement. */
    const thread = async (owner: User, coWriters: User[] = []) => {
      const id = `burst-thread-${threadNo}`;
      const peer = threadNo++;
      const first = await call(owner, id, peer);
      if (!first.ok) throw new Error(`seeding thread ${id} failed: ${first.code}`);
      if (coWriters.length) await threads.doc(db, id).update({ coWriterUids: coWriters.map((u) => u.uid) });
      return { id, peer };
    };

    const rows: string[][] = [];
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    const record = (label: string, outcomes: CallOutcome[], retried: number) => {
      const ms = outcomes.map((o) => o.ms).sort((a, b) => a - b);
      const attempts = outcomes
        .filter((o) => o.requestId)
        // A transaction decided at its first attempt logs no send_transaction line.
        .map((o) => attemptsOf.get(o.requestId!) ?? 1);
      const codes = outcomes.filter((o) => !o.ok).map((o) => o.code);
      rows.push([
        label,
        `${outcomes.filter((o) => o.ok).length}/${outcomes.length}${codes.length ? ` (${[...new Set(codes)].join(", ")})` : ""}`,
        s(percentile(ms, 50)),
        s(percentile(ms, 99)),
        s(ms.at(-1)!),
        attempts.length
          ? `${(attempts.reduce((a, b) => a + b, 0) / attempts.length).toFixed(1)} / ${Math.max(...attempts)}`
          : "n/a",
        String(retried),
      ]);
      return percentile(ms, 99);
    };
    // Give the function's log lines (attempt counts) a moment to arrive after the last answer.
    const settle = () => new Promise((r) => setTimeout(r, 500));

    // Warm-up: the Functions emulator starts one worker process per concurrent call, each a cold
    // start of seconds on a small machine; a burst of 50 (not measured) starts them all first.
    const warm = await users(10);
    await account(warm);
    await thread(warm[0]!);
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        const t = { id: `burst-warm-${i}`, peer: 9_000_000 + i };
        return call(warm[i % 10]!, t.id, t.peer);
      }),
    );

    const burst = async (
      label: string,
      n: number,
      senders: User[],
      threadFor: (i: number) => { id: string; peer: number },
    ) => {
      const before = retries;
      const outcomes = await Promise.all(
        Array.from({ length: n }, (_, i) => call(senders[i % senders.length]!, threadFor(i).id, threadFor(i).peer)),
      );
      await settle();
      return record(label, outcomes, retries - before);
    };

    // Bursts of 10.
    const spread = await users(10);
    await account(spread);
    const spreadThreads: { id: string; peer: number }[] = [];
    for (const u of spread) spreadThreads.push(await thread(u));
    const p99Spread = await burst("10 users, 10 threads", 10, spread, (i) => spreadThreads[i]!);

    const single = await users(1);
    await account(single);
    const singleThread = await thread(single[0]!);
    const p99Single = await burst("1 user, 1 thread", 10, single, () => singleThread);

    const team = await users(10);
    await account(team);
    const teamThread = await thread(team[0]!, team.slice(1));
    const p99Team = await burst("10 co-writers, 1 thread", 10, team, () => teamThread);

    // Bursts of 50: ten users, five each (the per-user limit is 30 a minute); one user, 25.
    const spread50 = await users(10);
    await account(spread50);
    const spread50Threads: { id: string; peer: number }[] = [];
    for (let i = 0; i < 50; i++) spread50Threads.push(await thread(spread50[i % 10]!));
    await burst("50: 10 users, 50 threads", 50, spread50, (i) => spread50Threads[i]!);

    const single25 = await users(1);
    await account(single25);
    const single25Thread = await thread(single25[0]!);
    await burst("25: 1 user, 1 thread", 25, single25, () => single25Thread);

    const team50 = await users(10);
    await account(team50);
    const team50Thread = await thread(team50[0]!, team50.slice(1));
    await burst("50: 10 co-writers, 1 thread", 50, team50, () => team50Thread);

    // Sustained: ten co-writers, 2.5 msg/s in all (one every 400 ms, in turn), for 40 s.
    const steady = await users(10);
    await account(steady);
    const steadyThread = await thread(steady[0]!, steady.slice(1));
    const timeoutsBefore = timeouts;
    const retriesBefore = retries;
    const pending: Promise<CallOutcome>[] = [];
    const start = performance.now();
    for (let i = 0; i < 100; i++) {
      const due = start + i * 400;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      pending.push(call(steady[i % 10]!, steadyThread.id, steadyThread.peer));
    }
    const steadyOutcomes = await Promise.all(pending);
    await settle();
    record("sustained 2.5/s, 10 co-writers, 1 thread, 40 s", steadyOutcomes, retries - retriesBefore);
    const steadyTimeouts = timeouts - timeoutsBefore;

    const header = ["burst", "accepted", "p50", "p99", "max", "txn attempts mean / max", "unavailable retried"];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
    console.log(`
send-burst: concurrent whatsappProxySend calls through the Functions emulator (issue 27)
${line(header)}
| ${widths.map((w) => "-".repeat(w)).join(" | ")} |
${rows.map(line).join("\n")}
  target: p99 of a burst of 10 into 1 thread <= 2 x p99 of 10 users in 10 threads (${s(p99Spread)}):
    1 user ${s(p99Single)} -> ${p99Single <= 2 * p99Spread ? "met" : "NOT met"}; 10 co-writers ${s(p99Team)} -> ${p99Team <= 2 * p99Spread ? "met" : "NOT met"}
  sustained run: ${steadyOutcomes.filter((o) => o.ok).length}/100 accepted, function timeouts in the emulator log: ${steadyTimeouts}`);
  } finally {
    await emulators.stop();
  }
}
