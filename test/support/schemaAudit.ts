import type { Firestore } from "firebase-admin/firestore";
import { collectionIds, documentKindOf } from "@wa-gateway/data";

/** Every stored document under the collections the system writes, and any top-level collection it does not. */
async function allDocuments(db: Firestore) {
  const groups = await Promise.all(collectionIds.map((id) => db.collectionGroup(id).get()));
  const unknown = (await db.listCollections())
    .map((c) => c.id)
    .filter((id) => !collectionIds.includes(id) && id !== "wa_metrics" && id !== "emulatorReset");
  return { docs: groups.flatMap((g) => g.docs), unknown };
}

/**
 * What the system wrote, judged by the data layer: each document at a path the system knows
 * parses with its collection's schema and has no field the schema does not declare. Answers
 * the problems, one line each, and the number of documents judged.
 */
export async function auditDocuments(db: Firestore): Promise<{ problems: string[]; judged: number }> {
  const problems: string[] = [];
  let judged = 0;
  const { docs, unknown } = await allDocuments(db);
  for (const id of unknown) problems.push(`${id}: a collection the data layer does not know`);
  for (const snap of docs) {
    const ref = snap.ref;
    const entry = documentKindOf(ref.path);
    if (!entry) {
      problems.push(`${ref.path}: no collection of the data layer`);
      continue;
    }
    if (!entry.kind) continue;
    judged++;
    const checked = entry.kind.check(ref.path, snap.data());
    if (checked.kind === "malformed") problems.push(checked.error.message);
    const extra = entry.kind.undeclared(snap.data());
    if (extra.length) problems.push(`${ref.path}: fields not in the ${entry.name} schema: ${extra.join(", ")}`);
  }
  return { problems, judged };
}

/**
 * After each test of the suite, what the system wrote must match the data layer's schemas: the
 * writers and the schemas cannot drift apart unnoticed. For suites whose documents come from
 * the real writers only (no hand-built fixtures).
 */
export function auditDocumentsAfterEach(db: () => Firestore): void {
  afterEach(async function () {
    this.timeout(60_000);
    const { problems } = await auditDocuments(db());
    if (problems.length) throw new Error(`documents that fail their schema:\n  ${problems.join("\n  ")}`);
  });
}
