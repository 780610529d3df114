import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { initializeTestEnvironment, type RulesTestEnvironment } from "@firebase/rules-unit-testing";
import { Timestamp } from "firebase-admin/firestore";
import { doc, getDoc, setLogLevel } from "firebase/firestore";
import { paths } from "@wa-gateway/core";
import { mayReadThread, type Caller } from "@wa-gateway/core/proxies";
import { adminDb, emulator, resetFirestore } from "../support/emulator";
import { seedAccount } from "../support/fixtures";

const RULES = readFileSync(join(__dirname, "..", "..", "firestore.rules"), "utf8");

/**
 * The callables that hand out what the rules cannot guard (a message's media bytes) decide with
 * core's `mayReadThread`: it must say yes exactly where the rules let a client read the message.
 */
describe("mayReadThread is the rules' read of a thread's messages", function () {
  this.timeout(60_000);
  let env: RulesTestEnvironment;

  before(async () => {
    setLogLevel("silent");
    const [host, port] = emulator().host.split(":");
    env = await initializeTestEnvironment({
      projectId: emulator().projectId,
      firestore: { rules: RULES, host: host!, port: Number(port) },
    });
  });
  after(() => env.cleanup());

  const threads = {
    owned: { ownerUid: "alice", coWriterUids: ["bob"] },
    unowned: { ownerUid: null, coWriterUids: [] as string[] },
  };
  // alice owns, bob co-writes, carol is a plain member, dave was removed (still a co-writer on
  // the owned thread, as a hand edit of memberUids leaves him until the sweep), erin is an outsider.
  const members = ["alice", "bob", "carol"];
  const callers: Caller[] = ["alice", "bob", "carol", "dave", "erin"].map((uid) => ({ uid, admin: false }));
  callers.push({ uid: "root", admin: true });

  for (const [name, thread] of Object.entries(threads)) {
    it(`agrees with the rules on the ${name} thread, for owner, co-writer, member, removed member, outsider and admin`, async () => {
      await resetFirestore();
      await seedAccount(adminDb(), "acc-1", { memberUids: members });
      const at = Timestamp.now();
      const stored = { ...thread, coWriterUids: thread.ownerUid ? [...thread.coWriterUids, "dave"] : [] };
      await adminDb()
        .doc(paths.thread("t1"))
        .set({
          ...stored,
          accountId: "acc-1",
          peerJid: "40711111111@s.whatsapp.net",
          lastMessageAt: at,
          lastMessagePreview: "📷 Photo",
          createdAt: at,
          updatedAt: at,
        });
      await adminDb().doc(paths.threadMessage("t1", "in_m1")).set({ direction: "in", text: "", createdAt: at });
      const decisions = [];
      for (const caller of callers) {
        const db = env.authenticatedContext(caller.uid, caller.admin ? { admin: true } : {}).firestore();
        const rules = await getDoc(doc(db, paths.threadMessage("t1", "in_m1"))).then(
          () => true,
          () => false,
        );
        decisions.push([caller.uid, rules, mayReadThread(caller, stored, { memberUids: members })]);
      }
      assert.deepEqual(
        decisions.filter(([, rules, core]) => rules !== core),
        [],
        "callers on whom the rules and mayReadThread disagree",
      );
      // And the matrix is not trivially all-yes or all-no.
      const allowed = decisions.filter(([, rules]) => rules).map(([uid]) => uid);
      assert.deepEqual(allowed, name === "owned" ? ["alice", "bob", "root"] : ["alice", "bob", "carol", "root"]);
    });
  }
});
