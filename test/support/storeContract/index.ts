import { accountLeaseContract } from "./accountLeaseContract";
import { inboundContract } from "./inboundContract";
import { outboxContract } from "./outboxContract";
import { sessionContract } from "./sessionContract";
import type { StoreWorld } from "./storeWorld";

/**
 * The worker's store contract: every store method's answers (claimed / held / missing,
 * written / fenced / missing, stored / duplicate, ...) and what it leaves in the database. Run
 * over Firestore on the emulator (test/worker/store-contract.test.ts, `npm test`) and over the
 * in-memory fakes (test/fast/store-contract.test.ts, `npm run test:fast`), so the fakes the fast
 * tier's worker tests use cannot drift from the real stores.
 */
export function storeContract(name: string, world: StoreWorld, timeoutMs: number): void {
  describe(`the worker's stores (${name})`, function () {
    this.timeout(timeoutMs);
    beforeEach(() => world.reset());
    accountLeaseContract(world);
    sessionContract(world);
    outboxContract(world);
    inboundContract(world);
  });
}
