import { createHash } from "node:crypto";
import type { Firestore } from "firebase-admin/firestore";
import { accounts } from "@wa-gateway/data";
import type { FakeWhatsApp } from "../../test/support/fakeWhatsApp/edge";

/** A phone number for an account added without one: stable per account id. */
export function phoneFor(accountId: string): string {
  const digits = BigInt(`0x${createHash("sha256").update(accountId).digest("hex").slice(0, 12)}`) % 10n ** 9n;
  return `49151${digits.toString().padStart(9, "0")}`;
}

/**
 * The person with the phone, for `npm start -- --baileys`: each QR the worker publishes on an
 * account document is scanned (a re-rendered one too), and each pairing code typed in, `afterMs` later, on the fake
 * WhatsApp edge. Answers a function that stops watching.
 */
export function startFakePhone(
  db: Firestore,
  edge: FakeWhatsApp,
  afterMs: number,
  log: (line: string) => void,
): () => void {
  const handled = new Set<string>();
  return accounts.all(db).onSnapshot((snap) => {
    for (const doc of snap.docs) {
      const { status, qr, pairingCode: code, phoneNumber } = doc.data();
      if (status !== "pending_qr") continue;
      const shown = qr ?? code;
      if (!shown || handled.has(shown)) continue;
      handled.add(shown);
      const phone = phoneNumber ?? phoneFor(doc.id);
      setTimeout(() => {
        try {
          if (qr) {
            // Today's WhatsApp answers a first scan with companion_reg_refresh ("refreshed"): the
            // worker re-renders the QR, and this phone scans the one the document shows next.
            const result = edge.scanQr(qr, phone);
            log(`phone +${phone} scanned the QR of ${doc.id}: ${result}`);
            return;
          }
          void edge.enterPairingCode(code!, phone).catch((err: Error) => log(`pairing code failed: ${err.message}`));
          log(`phone +${phone} entered the pairing code ${code} of ${doc.id}`);
        } catch (err) {
          log(`phone could not link ${doc.id}: ${(err as Error).message}`);
        }
      }, afterMs);
    }
  });
}
