/** A WhatsApp account's connection: the state machine after a close, transport events, dormant backlogs. */
export * from "./backlog";
export * from "./connection";
export * from "./transportEvents";
export * from "./optOut";
export * from "./fleetShare";
