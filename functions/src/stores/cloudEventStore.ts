import type { Firestore } from "firebase-admin/firestore";
import { GrpcStatus, grpcStatusOf } from "@wa-gateway/core";
import { callbackDataOf, type CloudEvent, type CloudEventStore } from "@wa-gateway/core/cloudApi";
import { CLOUD_EVENT_RETENTION_DAYS } from "@wa-gateway/core/documents";
import { cloudApiEvents } from "@wa-gateway/data";

/** `cloudApiEvents/{eventId}`, created once: a second create of the same id is Meta repeating itself. */
export function firestoreCloudEventStore(db: Firestore): CloudEventStore {
  return {
    async record(event: CloudEvent) {
      const receivedAt = new Date();
      try {
        await cloudApiEvents.write(db, event.id).create({
          phoneNumberId: event.phoneNumberId,
          kind: event.kind,
          wamid: event.wamid,
          callbackData: event.kind === "status" ? callbackDataOf(event.status) : null,
          payload: JSON.stringify(
            event.kind === "message" ? { message: event.message, contact: event.contact } : { status: event.status },
          ),
          receivedAt,
          handledAt: null,
          expireAt: new Date(receivedAt.getTime() + CLOUD_EVENT_RETENTION_DAYS * 86_400_000),
        });
        return "recorded";
      } catch (err) {
        if (grpcStatusOf(err) === GrpcStatus.ALREADY_EXISTS) return "replayed";
        throw err;
      }
    },
  };
}
