/** The zod schema of every stored document, as the data layer parses them. */
export * from "./common";
export * from "./thread";
export * from "./outbox";
export * from "./account";
export * from "./inbound";
export * from "./session";
export * from "./longrun";
export * from "./worker";
export * from "./cloudApi";
export * from "./media";
