import type { Firestore } from "firebase-admin/firestore";
import { collections, paths } from "@wa-gateway/core";
import { cloudApiEventDocument } from "@wa-gateway/core/documents";
import { documentKind } from "../document";

const cloudApiEventKind = documentKind(cloudApiEventDocument);

/**
 * `cloudApiEvents/{eventId}`: what Meta's webhook delivered, per phone number, until the
 * account's worker has taken it (or its TTL ends it). Created by `whatsappCloudWebhook`; the
 * worker holding the number's account marks each `handledAt`.
 * Server-only (rules).
 */
export const cloudApiEvents = {
  kind: cloudApiEventKind,
  doc: (db: Firestore, eventId: string) => cloudApiEventKind.ref(db, paths.cloudApiEvent(eventId)),
  write: (db: Firestore, eventId: string) => cloudApiEventKind.writeRef(db, paths.cloudApiEvent(eventId)),
  ofNumber: (db: Firestore, phoneNumberId: string) =>
    cloudApiEventKind.query(db, collections.cloudApiEvents).where("phoneNumberId", "==", phoneNumberId),
  /** What the number's worker has still to take. */
  unhandledOf: (db: Firestore, phoneNumberId: string) =>
    cloudApiEvents.ofNumber(db, phoneNumberId).where("handledAt", "==", null),
  /** The number's events about the message Meta knows as `wamid` (a send's statuses carry our id too). */
  ofWamid: (db: Firestore, phoneNumberId: string, wamid: string) =>
    cloudApiEvents.ofNumber(db, phoneNumberId).where("wamid", "==", wamid),
  /** The number's statuses of the send under `callbackData` (our providerMessageId). */
  statusesOf: (db: Firestore, phoneNumberId: string, callbackData: string) =>
    cloudApiEvents.ofNumber(db, phoneNumberId).where("callbackData", "==", callbackData),
};
