import { FieldValue, type Firestore, type QueryDocumentSnapshot } from "firebase-admin/firestore";
import { cloudMessage, cloudStatus, type CloudMessage, type CloudStatus } from "@wa-gateway/core/cloudApi";
import type { CloudApiEventDocument } from "@wa-gateway/core/documents";
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
  follow(
    phoneNumberId: string,
    take: (event: FeedEvent) => Promise<Take>,
    report: { takeFailed(err: Error, eventId: string): void; listenerFailed(err: Error): void },
  ): () => void;
  /** Whether Meta told any status of the send it was given `callbackData` for: then it went out. */
  sent(phoneNumberId: string, callbackData: string): Promise<boolean>;
  /** Our providerMessageId of the send Meta knows as `wamid`, from its statuses; null if none came yet. */
  sentAs(phoneNumberId: string, wamid: string): Promise<string | null>;
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

/** A take that failed (Firestore, the inbound store) is offered again this much later. */
const RETRY_TAKE_MS = 5_000;

export function firestoreCloudEventFeed(db: Firestore): CloudEventFeed {
  return {
    follow(phoneNumberId, take, report) {
      // Offered and not given back: queued, being taken, or handled and not yet gone from the query.
      const offered = new Set<string>();
      let latest: QueryDocumentSnapshot<CloudApiEventDocument>[] = [];
      let queue: Promise<void> = Promise.resolve();
      let stopped = false;
      // After a failed take nothing behind it is taken: the head is offered again first, so order holds.
      let stalled = false;
      let retry: NodeJS.Timeout | undefined;
      const offer = (): void => {
        const fresh = latest
          .filter((doc) => !offered.has(doc.id))
          .sort((a, b) => a.data().receivedAt.toMillis() - b.data().receivedAt.toMillis());
        for (const doc of fresh) {
          offered.add(doc.id);
          const { kind, payload, callbackData } = doc.data();
          queue = queue.then(async () => {
            if (stopped || stalled) {
              offered.delete(doc.id);
              return;
            }
            try {
              const taken = await take(feedEventOf(doc.id, kind, payload, callbackData));
              if (taken === "handled")
                await cloudApiEvents.doc(db, doc.id).update({ handledAt: FieldValue.serverTimestamp() });
              else offered.delete(doc.id);
            } catch (err) {
              offered.delete(doc.id);
              report.takeFailed(err as Error, doc.id);
              stalled = true;
              retry = setTimeout(() => {
                stalled = false;
                if (!stopped) offer();
              }, RETRY_TAKE_MS);
            }
          });
        }
      };
      const unsubscribe = cloudApiEvents.unhandledOf(db, phoneNumberId).onSnapshot(
        (snapshot) => {
          latest = snapshot.docs;
          for (const change of snapshot.docChanges()) if (change.type === "removed") offered.delete(change.doc.id);
          offer();
        },
        (err) => {
          // A listener that errs is over: the transport reconnects, and a new one starts.
          if (!stopped) report.listenerFailed(err);
        },
      );
      return () => {
        stopped = true;
        clearTimeout(retry);
        unsubscribe();
      };
    },
    async sent(phoneNumberId, callbackData) {
      return !(await cloudApiEvents.statusesOf(db, phoneNumberId, callbackData).limit(1).get()).empty;
    },
    async sentAs(phoneNumberId, wamid) {
      const events = (await cloudApiEvents.ofWamid(db, phoneNumberId, wamid).get()).docs.map((d) => d.data());
      return events.find((e) => e.kind === "status" && e.callbackData !== null)?.callbackData ?? null;
    },
  };
}
