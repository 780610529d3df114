/** The monitoring jobs, one file each, every dependency passed in through narrow ports. */
export * from "./runAlerting";
export * from "./runWatchdog";
export * from "./runProbes";
export * from "./runRollup";
export * from "./runDeliveryCheck";
export * from "./runCapacity";
