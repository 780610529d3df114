import type { Firestore } from "firebase-admin/firestore";
import type { MediaSendStore, UploadDeps } from "@wa-gateway/core/proxies";
import { accounts, mediaUploads, threads } from "@wa-gateway/data";
import { copyObject, statObject } from "../lib/mediaBucket";

/** What whatsappProxyCreateUpload reads (account, thread) and writes (the upload's record, created once). */
export function firestoreUploadRecords(db: Firestore): Pick<UploadDeps, "read" | "create"> {
  return {
    async read(accountId, threadId) {
      const [account, thread] = await Promise.all([accounts.doc(db, accountId).get(), threads.doc(db, threadId).get()]);
      const a = account.data();
      const t = thread.data();
      return {
        account: a && { status: a.status, memberUids: a.memberUids },
        thread: t && { ownerUid: t.ownerUid, coWriterUids: t.coWriterUids, accountId: t.accountId },
      };
    },
    async create(uploadId, upload) {
      await mediaUploads.write(db, uploadId).create(upload);
    },
  };
}

/** What a send with `media` reads and copies: the upload's record and its object in the media bucket. */
export function firestoreMediaSendStore(db: Firestore): MediaSendStore {
  return {
    async upload(uploadId) {
      const upload = (await mediaUploads.doc(db, uploadId).get()).data();
      if (!upload) return undefined;
      const { createdAt: _created, expireAt, ...fields } = upload;
      return { ...fields, expiresAtMs: expireAt.toMillis() };
    },
    stat: statObject,
    copy: copyObject,
  };
}
