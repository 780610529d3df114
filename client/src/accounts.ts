import { onSnapshot, type Firestore, type Unsubscribe } from "firebase/firestore";
import type { AccountStatus } from "../../core/src/documents/account.js";
import { documentRefs } from "./documents.js";

/** What an app shows for one linked WhatsApp account while an operator links it, and after. */
export interface AccountView {
  accountId: string;
  status: AccountStatus;
  label: string | null;
  phoneNumber: string | null;
  /** The QR to render now (status `pending_qr` / `needs_qr`); null once scanned or with a pairing code. */
  qr: string | null;
  qrExpiresAt: Date | null;
  /** The 8-character code to type on the phone, when the account was added with a phone number. */
  pairingCode: string | null;
  /** The last time the socket closed, with WhatsApp's code (401 logged out, 515 restart, …). */
  lastDisconnect: { code: number; at: Date } | null;
  updatedAt: Date;
}

/**
 * Follows one account: status, the QR or pairing code to show, the last disconnect. `onAccount`
 * gets null while the document does not exist (or the caller may not read it yet).
 */
export function watchAccount(
  db: Firestore,
  accountId: string,
  onAccount: (account: AccountView | null) => void,
  onError?: (err: Error) => void,
): Unsubscribe {
  return onSnapshot(
    documentRefs.account(db, accountId),
    (snap) => {
      let a;
      try {
        a = snap.data();
      } catch (err) {
        return onError?.(err as Error);
      }
      if (!a) return onAccount(null);
      onAccount({
        accountId: snap.id,
        status: a.status,
        label: a.label,
        phoneNumber: a.phoneNumber,
        qr: a.qr,
        qrExpiresAt: a.qrExpiresAt?.toDate() ?? null,
        pairingCode: a.pairingCode,
        lastDisconnect: a.lastDisconnect ? { code: a.lastDisconnect.code, at: a.lastDisconnect.at.toDate() } : null,
        updatedAt: a.updatedAt.toDate(),
      });
    },
    onError,
  );
}
