import type { AccountLeaseStore } from "../../../worker/src/accounts/accountLeaseStore";

/** Counts a worker's lease renewals: tests wait on passes of renewals, not on time. */
export function renewalCounter(): { count(): number; around(store: AccountLeaseStore): AccountLeaseStore } {
  let renewals = 0;
  return {
    count: () => renewals,
    around: (store) => ({
      ...store,
      renew: (accountId, epoch) => {
        renewals++;
        return store.renew(accountId, epoch);
      },
    }),
  };
}
