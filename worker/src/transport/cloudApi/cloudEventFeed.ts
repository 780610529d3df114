import { FieldValue, type Firestore } from "firebase-admin/firestore";
import { cloudMessage, cloudStatus, type CloudMessage, type CloudStatus } from "@wa-gateway/core/cloudApi";
import { cloudApiEvents } from "@wa-gateway/data";

/** One event the webhook stored for a number, as its worker takes it. */
export type FeedEvent =
  | { id: string; kind: "message"; message: CloudMessage }
  | { id: string; kind: "status"; status: CloudStatus; callbackData: string | null }
  /** Stored, but not as the webhook writes it: marked handled and reported, never retried for ever. */
  | { id: string; kind: "malformed"; reason: string };

/** `handled`: done with it; `later`: not taken now (the worker is stopping), offered again on the next follow. */
export type Take = "handled" | "later";

/**
 * `cloudApiEvents` as the Cloud API transport reads it: the number's unhandled events, one at a
 * time in the order they arrived, each marked handled once taken; and whether a send went out.
 */
export interface CloudEventFeed {
  follow(phoneNumberId: string, take: (event: FeedEvent) => Promise<Take>, failed: (err: Error) => void): () => void;
  /** Whether Meta told any status of the send it was given `callbackData` for: then it went out. */
  sent(phoneNumberId: string, callbackData: string): Promise<boolean>;
}

function feedEventOf(id: string, kind: "message" | "status", payload: string, callbackData: string | null): FeedEvent {
  let json: { message?: unknown; status?: unknown };
  try {
    json = JSON.parse(payload) as typeof json;
  } catch {
    return { id, kind: "malformed", reason: "payload is not JSON" };
  }
  if (kind === "message") {
    const message = cloudMessage.safeParse(json.message);
    return message.success ? { id, kind, message: message.data } : { id, kind: "malformed", reason: "not a message" };
  }
  const status = cloudStatus.safeParse(json.status);
  return status.success
    ? { id, kind, status: status.data, callbackData }
    : { id, kind: "malformed", reason: "not a status" };
}

export function firestoreCloudEventFeed(db: Firestore): CloudEventFeed {
  return {
    follow(phoneNumberId, take, failed) {
      const seen = new Set<string>();
      let queue: Promise<void> = Promise.resolve();
      let stopped = false;
      const unsubscribe = cloudApiEvents.unhandledOf(db, phoneNumberId).onSnapshot(
        (snapshot) => {
          const fresh = snapshot.docs
            .filter((doc) => !seen.has(doc.id))
            .sort((a, b) => a.data().receivedAt.toMillis() - b.data().receivedAt.toMillis());
          for (const doc of fresh) {
            seen.add(doc.id);
            const { kind, payload, callbackData } = doc.data();
            queue = queue.then(async () => {
              if (stopped) return;
              try {
                const taken = await take(feedEventOf(doc.id, kind, payload, callbackData));
                if (taken === "handled")
                  await cloudApiEvents.doc(db, doc.id).update({ handledAt: FieldValue.serverTimestamp() });
                else seen.delete(doc.id);
              } catch (err) {
                seen.delete(doc.id);
                failed(err as Error);
              }
            });
          }
        },
        (err) => failed(err),
      );
      return () => {
        stopped = true;
        unsubscribe();
      };
    },
    async sent(phoneNumberId, callbackData) {
      return !(await cloudApiEvents.statusesOf(db, phoneNumberId, callbackData).limit(1).get()).empty;
    },
  };
}
