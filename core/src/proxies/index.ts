export * from "./errors";
export * from "./caller";
export * from "./requests";
export * from "./send";
export * from "./accounts";
export * from "./threads";
export * from "./accountMembers";
