/** Meta's WhatsApp Business Cloud API: its webhook (signature, payload, events). */
export * from "./webhook";
export * from "./webhookEvents";
export * from "./webhookPayload";
export * from "./webhookSignature";
export * from "./eventContent";
export * from "./templates";
