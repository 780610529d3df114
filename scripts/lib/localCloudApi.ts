import { FakeGraphApi, type GraphSendRecord } from "../../test/support/fakeGraphApi";
import { FakeSecretManager } from "../../test/support/fakeSecretManager";
import { localSecret } from "../emulators/firebase";
import { localCloudApiNumber } from "./project";

const TOKEN = "LOCAL-fake-cloud-api-token";

/**
 * The local stack's Meta, on 127.0.0.1: a fake Graph API serving one Cloud API number (with an
 * approved template, `order_update`) and a fake Secret Manager holding its token. Meta's side of
 * the conversation is played too: each send is delivered a second later (a signed status
 * webhook to `whatsappCloudWebhook`), and the customer answers a template two seconds later,
 * which opens the 24-hour window for a free-form reply.
 */
export async function startLocalCloudApi(o: { webhookUrl: string; log: (line: string) => void }) {
  const number = localCloudApiNumber();
  const graph = await FakeGraphApi.start();
  const secrets = await FakeSecretManager.start();
  graph.addNumber(number.phoneNumberId, TOKEN, number.businessAccountId);
  graph.setTemplate(number.businessAccountId, {
    name: "order_update",
    language: "en_US",
    status: "APPROVED",
    body: "Hello {{1}}, your order {{2}} has shipped.",
  });
  secrets.set(number.tokenSecret, TOKEN);
  graph.webhook = { url: o.webhookUrl, appSecret: localSecret("WA_CLOUD_APP_SECRET") };

  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, what: string, act: () => Promise<unknown>) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      act().catch((err: Error) => o.log(`${what} failed: ${err.message}`));
    }, ms);
    timers.add(timer);
  };
  graph.onSend = (send: GraphSendRecord) => {
    o.log(`Meta took a ${send.template ? `template (${send.template.name})` : "text"} to +${send.to}: "${send.text}"`);
    later(1000, "the delivered status", () => graph.statusOf(send, "delivered"));
    if (send.template) {
      later(2000, "the customer's answer", async () => {
        await graph.customerWrites(send.phoneNumberId, send.to, "Thanks! When will it arrive?", "Demo customer");
        o.log(`the customer +${send.to} answered (the webhook stored it): the 24-hour window is open`);
      });
    }
  };
  return {
    url: graph.url,
    env: { WA_CLOUD_API_BASE_URL: graph.url, SECRET_MANAGER_API_ROOT: secrets.url },
    async stop() {
      for (const timer of timers) clearTimeout(timer);
      await graph.close();
      await secrets.close();
    },
  };
}
