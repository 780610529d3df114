import type { Caller } from "./caller";

/** What deciding a read needs: the thread's writers and its account's members. */
export interface ThreadReaders {
  ownerUid: string | null;
  coWriterUids: string[];
}

/**
 * Whether `caller` may read a thread and its messages (and so its media): the rule
 * firestore.rules applies to `threads/{id}/messages` (`readsThread && usesAccount`), once, for
 * the callables that hand out what the rules cannot guard (media bytes). Admins always; others
 * only while members of the thread's account, and then its owner and co-writers, or anyone when
 * nobody owns it (the shared inbox). `test/rules/thread-access.test.ts` holds it to the rules.
 */
export function mayReadThread(
  caller: Caller,
  thread: ThreadReaders,
  account: { memberUids: string[] } | undefined,
): boolean {
  if (caller.admin) return true;
  if (!account?.memberUids.includes(caller.uid)) return false;
  return thread.ownerUid === null || thread.ownerUid === caller.uid || thread.coWriterUids.includes(caller.uid);
}
