import type { Firestore, WriteBatch } from "firebase-admin/firestore";
import { graphTemplate, templateEntryOf, templateIdOf, type TemplateEntry } from "@wa-gateway/core/cloudApi";
import { messageTemplates } from "@wa-gateway/data";

/** What a sync did: the templates Meta listed, those written (new or changed), deleted (no longer listed), and entries it could not read. */
export interface CatalogueSync {
  listed: number;
  written: number;
  deleted: number;
  unreadable: number;
}

/** A Cloud API account's template catalogue (`accounts/{accountId}/templates`), as its worker writes it. */
export interface TemplateCatalogue {
  /** Makes the catalogue what Meta listed: new and changed templates set, the ones Meta no longer lists deleted. */
  replace(accountId: string, listed: unknown[], syncedAt: Date): Promise<CatalogueSync>;
}

/** Meta's list as catalogue entries, keyed by id; an entry Meta sent in another shape is counted, not stored. */
export function catalogueOf(listed: unknown[]): { entries: Map<string, TemplateEntry>; unreadable: number } {
  const entries = new Map<string, TemplateEntry>();
  let unreadable = 0;
  for (const raw of listed) {
    const parsed = graphTemplate.safeParse(raw);
    if (!parsed.success) {
      unreadable++;
      continue;
    }
    const entry = templateEntryOf(parsed.data);
    entries.set(templateIdOf(entry.name, entry.language), entry);
  }
  return { entries, unreadable };
}

const BATCH_WRITES = 400;

/** Whether the stored document already says what Meta listed (its `syncedAt` aside). */
function sameEntry(stored: TemplateEntry | undefined, entry: TemplateEntry): boolean {
  if (!stored) return false;
  return (Object.keys(entry) as (keyof TemplateEntry)[]).every((k) => stored[k] === entry[k]);
}

export function firestoreTemplateCatalogue(db: Firestore): TemplateCatalogue {
  return {
    async replace(accountId, listed, syncedAt) {
      const { entries, unreadable } = catalogueOf(listed);
      const existing = await messageTemplates.ofAccount(db, accountId).get();
      const stored = new Map(existing.docs.map((d) => [d.id, d.data()]));
      const gone = existing.docs.filter((d) => !entries.has(d.id));
      // Hourly and at every connect: only what changed is written (a WABA may hold thousands).
      const changed = [...entries].filter(([id, entry]) => !sameEntry(stored.get(id), entry));
      const writes = [
        ...changed.map(([id, entry]) => (b: WriteBatch) => {
          b.set(messageTemplates.write(db, accountId, id), { accountId, ...entry, syncedAt });
        }),
        ...gone.map((doc) => (b: WriteBatch) => {
          b.delete(doc.ref);
        }),
      ];
      // Batches under Firestore's 500 writes each: a failed one rejects the sync, which runs again later.
      for (let i = 0; i < writes.length; i += BATCH_WRITES) {
        const batch = db.batch();
        for (const write of writes.slice(i, i + BATCH_WRITES)) write(batch);
        await batch.commit();
      }
      return { listed: entries.size, written: changed.length, deleted: gone.length, unreadable };
    },
  };
}
