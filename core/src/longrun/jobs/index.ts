/** The monitoring jobs, one file each, every dependency passed in through narrow ports. */
export * from "./alerting";
export * from "./watchdog";
export * from "./probes";
export * from "./rollup";
