import { memoryWorld } from "../support/memoryStores/memoryWorld";
import { storeContract } from "../support/storeContract";

storeContract("in memory", memoryWorld(), 2_000);
