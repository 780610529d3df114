import { logger } from "firebase-functions";
import { onRequest } from "firebase-functions/https";
import { scrubText } from "@wa-gateway/core";
import { handleCloudWebhook } from "@wa-gateway/core/cloudApi";
import { WA_CLOUD_APP_SECRET, WA_CLOUD_VERIFY_TOKEN } from "./config";
import { firestore } from "./lib/firestore";
import { firestoreCloudEventStore } from "./stores/cloudEventStore";

/**
 * Meta's webhook for Cloud API numbers: answers the subscription check, and stores each signed
 * delivery's messages and statuses for the account's worker before answering 200. Public: Meta
 * calls it without Google credentials; the signature is the authentication.
 */
export const whatsappCloudWebhook = onRequest(
  { secrets: [WA_CLOUD_APP_SECRET], invoker: "public" },
  async (req, res) => {
    const started = Date.now();
    try {
      const answer = await handleCloudWebhook(
        { verifyToken: WA_CLOUD_VERIFY_TOKEN.value(), appSecret: WA_CLOUD_APP_SECRET.value() },
        firestoreCloudEventStore(firestore()),
        {
          method: req.method,
          query: new URL(req.originalUrl, "http://webhook").searchParams,
          signature: req.get("x-hub-signature-256"),
          rawBody: req.rawBody,
        },
      );
      const { status, body, ...outcome } = answer;
      (status === 200 ? logger.info : logger.warn)("whatsapp_cloud_webhook", {
        ...outcome,
        status,
        latencyMs: Date.now() - started,
      });
      res.status(status).type("text/plain").send(body);
    } catch (err) {
      logger.error("whatsapp_cloud_webhook", {
        outcome: "internal",
        status: 500,
        latencyMs: Date.now() - started,
        error: scrubText(String((err as Error)?.stack ?? err)),
      });
      res.status(500).type("text/plain").send("not stored; deliver again");
    }
  },
);
