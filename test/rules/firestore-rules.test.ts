import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  assertFails,
  assertSucceeds,
  initializeTestEnvironment,
  type RulesTestEnvironment,
} from "@firebase/rules-unit-testing";
import {
  collection,
  deleteDoc,
  doc,
  getDoc,
  getDocs,
  orderBy,
  query,
  setDoc,
  setLogLevel,
  updateDoc,
  where,
} from "firebase/firestore";
import { paths } from "@wa-gateway/core";
import { emulator } from "../support/emulator";

const RULES = readFileSync(join(__dirname, "..", "..", "firestore.rules"), "utf8");

type Role = "anonymous" | "alice" | "bob" | "carol" | "admin";
const ROLES: Role[] = ["anonymous", "alice", "bob", "carol", "admin"];

describe("firestore.rules", function () {
  this.timeout(30_000);
  let env: RulesTestEnvironment;

  const db = (role: Role) =>
    role === "anonymous"
      ? env.unauthenticatedContext().firestore()
      : role === "admin"
        ? env.authenticatedContext("root", { admin: true }).firestore()
        : env.authenticatedContext(role).firestore();

  before(async () => {
    setLogLevel("silent"); // every denied write would print a warning otherwise
    const [host, port] = emulator().host.split(":");
    env = await initializeTestEnvironment({
      projectId: emulator().projectId,
      firestore: { rules: RULES, host: host!, port: Number(port) },
    });
  });

  after(() => env.cleanup());

  beforeEach(async () => {
    await env.clearFirestore();
    // Seed with rules off, as the Admin SDK (functions, worker) writes.
    await env.withSecurityRulesDisabled(async (ctx) => {
      const f = ctx.firestore();
      await setDoc(doc(f, paths.thread("t1")), { ownerUid: "alice", coWriterUids: ["bob"], accountId: "acc-1" });
      // A contact wrote first: nobody owns the thread yet, so it is acc-1's shared inbox.
      await setDoc(doc(f, paths.thread("t-inbox")), { ownerUid: null, coWriterUids: [], accountId: "acc-1" });
      await setDoc(doc(f, paths.threadMessage("t-inbox", "in1")), { direction: "in", text: "hello?" });
      await setDoc(doc(f, paths.threadMessage("t1", "m1")), { direction: "out", text: "hi", status: "queued" });
      // bob co-writes t1, so he is a member too (membership is the boundary: test/rules/account-membership.test.ts).
      await setDoc(doc(f, paths.account("acc-1")), { status: "connected", memberUids: ["alice", "bob"] });
      await setDoc(doc(f, paths.outboxEntry("req_a")), { uid: "alice", status: "queued" });
      await setDoc(doc(f, `${paths.waSession("acc-1")}/keys/k1`), { key: "secret" });
      await setDoc(doc(f, paths.waSession("acc-1")), { creds: "secret" });
      await setDoc(doc(f, paths.inboundDedupe("acc-1", "M1")), { threadId: "t1" });
      await setDoc(doc(f, paths.rateLimit("alice")), { count: 1 });
      await setDoc(doc(f, paths.optOut("acc-1", "40712345678@s.whatsapp.net")), {
        accountId: "acc-1",
        keyword: "STOP",
      });
      await setDoc(doc(f, paths.messageTemplate("acc-1", "order_update.en_US")), { accountId: "acc-1", name: "x" });
      await setDoc(doc(f, paths.cloudApiNumber("106540352242922")), { accountId: "acc-1" });
      await setDoc(doc(f, paths.longrun.config), { heartbeatIntervalSec: 60 });
      await setDoc(doc(f, paths.longrun.heartbeat("2025-12-30T08-00-00")), { tsIso: "x" });
    });
  });

  /** Which roles may read each document; everyone else must be refused. */
  const readable: [string, string, Role[]][] = [
    ["a thread", paths.thread("t1"), ["alice", "bob", "admin"]],
    ["a thread message", paths.threadMessage("t1", "m1"), ["alice", "bob", "admin"]],
    ["an unowned thread (its account's inbox)", paths.thread("t-inbox"), ["alice", "bob", "admin"]],
    ["an unowned thread's message", paths.threadMessage("t-inbox", "in1"), ["alice", "bob", "admin"]],
    ["an account", paths.account("acc-1"), ["alice", "bob", "admin"]],
    ["a Cloud API account's template", paths.messageTemplate("acc-1", "order_update.en_US"), ["alice", "bob", "admin"]],
    ["an outbox entry", paths.outboxEntry("req_a"), ["alice", "admin"]],
    ["session keys", `${paths.waSession("acc-1")}/keys/k1`, []],
    ["session creds", paths.waSession("acc-1"), []],
    ["an inbound dedupe marker", paths.inboundDedupe("acc-1", "M1"), ["admin"]],
    ["a rate-limit counter", paths.rateLimit("alice"), ["admin"]],
    ["a contact's opt-out", paths.optOut("acc-1", "40712345678@s.whatsapp.net"), []],
    ["a Cloud API number's claim", paths.cloudApiNumber("106540352242922"), []],
    ["the monitoring config", paths.longrun.config, ["admin"]],
    ["a heartbeat", paths.longrun.heartbeat("2025-12-30T08-00-00"), ["admin"]],
  ];

  for (const [what, path, allowed] of readable) {
    it(`reading ${what}: only ${allowed.join(", ") || "nobody"}`, async () => {
      for (const role of ROLES) {
        const read = getDoc(doc(db(role), path));
        if (allowed.includes(role)) await assertSucceeds(read);
        else await assertFails(read);
      }
    });
  }

  it("a client write to outbox is denied, for every role including admin", async () => {
    for (const role of ROLES) {
      await assertFails(setDoc(doc(db(role), paths.outboxEntry("req_new")), { uid: "alice", status: "queued" }));
      await assertFails(updateDoc(doc(db(role), paths.outboxEntry("req_a")), { status: "sent" }));
      await assertFails(deleteDoc(doc(db(role), paths.outboxEntry("req_a"))));
    }
  });

  it("no client creates, updates or deletes anything anywhere", async () => {
    for (const role of ROLES) {
      for (const [, path] of readable) {
        await assertFails(setDoc(doc(db(role), path), { x: 1 }));
        await assertFails(deleteDoc(doc(db(role), path)));
      }
      await assertFails(setDoc(doc(db(role), paths.thread("t-new")), { ownerUid: "alice" }));
      await assertFails(setDoc(doc(db(role), "anything/else"), { x: 1 }));
    }
  });

  it("a user lists their accounts with a memberUids query, but not everyone's", async () => {
    const alice = db("alice");
    await assertSucceeds(getDocs(query(collection(alice, "accounts"), where("memberUids", "array-contains", "alice"))));
    await assertFails(getDocs(collection(alice, "accounts")));
  });

  it("an account's members list its templates; nobody else does", async () => {
    for (const role of ROLES) {
      const list = getDocs(collection(db(role), paths.messageTemplates("acc-1")));
      if (role === "anonymous" || role === "carol") await assertFails(list);
      else await assertSucceeds(list);
    }
  });

  it("nobody lists opt-outs, not even an admin of the account (server-only: npm run opt-out)", async () => {
    for (const role of ROLES) {
      await assertFails(getDocs(query(collection(db(role), "optOuts"), where("accountId", "==", "acc-1"))));
    }
  });

  it("a user lists their own outbox entries but not all of them", async () => {
    const alice = db("alice");
    await assertSucceeds(getDocs(query(collection(alice, "outbox"), where("uid", "==", "alice"))));
    await assertFails(getDocs(collection(alice, "outbox")));
  });

  describe("the inbox queries (README: Building an inbox)", () => {
    const threads = (role: Role) => collection(db(role), "threads");

    it("my threads, newest first: as owner and as co-writer", async () => {
      await assertSucceeds(
        getDocs(query(threads("alice"), where("ownerUid", "==", "alice"), orderBy("lastMessageAt", "desc"))),
      );
      await assertSucceeds(
        getDocs(
          query(threads("bob"), where("coWriterUids", "array-contains", "bob"), orderBy("lastMessageAt", "desc")),
        ),
      );
      await assertFails(getDocs(query(threads("bob"), where("ownerUid", "==", "alice"))));
    });

    it("the account's unassigned threads, newest first: members only", async () => {
      const unassigned = (role: Role) =>
        getDocs(
          query(
            threads(role),
            where("accountId", "==", "acc-1"),
            where("ownerUid", "==", null),
            orderBy("lastMessageAt", "desc"),
          ),
        );
      await assertSucceeds(unassigned("alice"));
      await assertSucceeds(unassigned("admin"));
      await assertSucceeds(unassigned("bob"));
      for (const outsider of ["carol", "anonymous"] as const) await assertFails(unassigned(outsider));
      // Not every thread of the account: the owned ones are their owners'.
      await assertFails(getDocs(query(threads("alice"), where("accountId", "==", "acc-1"))));
    });

    it("a thread's messages in order, for whoever reads the thread", async () => {
      const messages = (role: Role, threadId: string) =>
        getDocs(query(collection(db(role), paths.threadMessages(threadId)), orderBy("createdAt")));
      await assertSucceeds(messages("alice", "t-inbox"));
      await assertSucceeds(messages("bob", "t1"));
      await assertFails(messages("carol", "t-inbox"));
      await assertFails(messages("carol", "t1"));
    });

    it("my recent sends and their status", async () => {
      await assertSucceeds(
        getDocs(query(collection(db("alice"), "outbox"), where("uid", "==", "alice"), orderBy("createdAt", "desc"))),
      );
      await assertFails(
        getDocs(query(collection(db("bob"), "outbox"), where("uid", "==", "alice"), orderBy("createdAt", "desc"))),
      );
    });
  });
});
