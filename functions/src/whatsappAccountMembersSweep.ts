import { logger } from "firebase-functions";
import { onSchedule } from "firebase-functions/scheduler";
import { sweepAccountMembers } from "@wa-gateway/core/proxies";
import { firestore } from "./lib/firestore";
import { firestoreMembersStore } from "./stores/membersStore";

/**
 * Every minute: an account whose `memberUids` an operator edited by hand has its removed members
 * stripped from its threads, as the members callable does at once. A sweep, not a Firestore
 * trigger: the lease holder writes every account document every few seconds, so a trigger would
 * run on each renewal; and the local stack's Functions emulator cannot fire Firestore triggers
 * (it runs without firebase-tools' own Firestore emulator), so a trigger could not be tested there.
 */
export const whatsappAccountMembersSweep = onSchedule(
  { schedule: "* * * * *", timeZone: "Etc/UTC", retryCount: 0, timeoutSeconds: 50 },
  async () => {
    for (const { accountId, result } of await sweepAccountMembers(firestoreMembersStore(firestore()))) {
      logger.info("account_members_applied", { accountId, ...result });
    }
  },
);
