export * from "./lifecycle";
export * from "./messageStatus";
export * from "./pacing";
export * from "./requeue";
export * from "./reachout";
