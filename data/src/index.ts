export * from "./document";
export * from "./collections/accounts";
export * from "./collections/sessions";
export * from "./collections/outbox";
export * from "./collections/threads";
export * from "./collections/inbound";
export * from "./collections/longrun";
export * from "./registry";
