import assert from "node:assert/strict";
import { paths } from "@wa-gateway/core";
import { SimulatedWhatsApp } from "../../worker/src/transport/simulated";
import { adminDb, resetFirestore } from "./emulator";
import { FakeWhatsApp, type FakeContact } from "./fakeWhatsApp/edge";
import { seedAccount } from "./fixtures";
import { eventually, workersPerTest } from "./worker";

/** What a recipient's phone got from the account. */
export interface Received {
  id: string;
  text: string | undefined;
  at: number;
}

/**
 * The WhatsApp a delivery test runs against, so one suite runs over the simulator and over the
 * real Baileys socket against the fake edge. Only what both can do is here; each suite's
 * transport-specific faults stay in its own file.
 */
export interface WhatsAppWorld {
  readonly name: string;
  /** The E.164 digits of the one recipient sends go to (`sendPayload`'s default). */
  readonly recipient: string;
  startWorker(env?: Record<string, string>): ReturnType<ReturnType<typeof workersPerTest>["start"]>;
  /** Links `acc-1` (member alice) the way a person does; a worker must be running. */
  link(): Promise<void>;
  /** What the recipient received, in arrival order. */
  received(): Received[];
  /** `fromPn` writes to the account under WhatsApp id `id` (a replay reuses the id). */
  inbound(fromPn: string, id: string, text: string): Promise<void>;
  /** The recipient's phone reports `messageId` delivered or read. */
  receipt(messageId: string, status: "delivered" | "read"): void;
}

const RECIPIENT = "40712345678";
const account = async () => (await adminDb().doc(paths.account("acc-1")).get()).data()!;

async function linkWith(scan: (qr: string) => void | Promise<void>): Promise<void> {
  await seedAccount(adminDb(), "acc-1", { status: "pending_qr", memberUids: ["alice"] });
  await scan(await eventually("a QR on the account document", async () => (await account()).qr as string));
  await eventually("account connected", async () => (await account()).status === "connected");
}

/**
 * The phone scans `qr` on the fake edge as a person does with today's WhatsApp: the first scan is
 * answered with companion_reg_refresh, so the person scans the QR the account document shows next.
 */
export async function scanThroughRefresh(
  edge: FakeWhatsApp,
  qr: string,
  phone: string,
  accountId = "acc-1",
): Promise<void> {
  const first = edge.scanQr(qr, phone);
  if (first === "linked") return;
  assert.equal(first, "refreshed", "the first scan of a fresh QR is not refused");
  const next = await eventually("the QR re-rendered after companion_reg_refresh", async () => {
    const shown = (await adminDb().doc(paths.account(accountId)).get()).get("qr") as string | null;
    return shown && shown !== qr ? shown : undefined;
  });
  assert.equal(edge.scanQr(next, phone), "linked", "the re-rendered QR links");
}

/** A fresh simulated network and emulator database before each test. */
export function simulatedWorld(): WhatsAppWorld {
  const workers = workersPerTest();
  let network: SimulatedWhatsApp;
  beforeEach(async () => {
    await resetFirestore();
    network = new SimulatedWhatsApp({ deliveredReceiptMs: null });
  });
  return {
    name: "simulated WhatsApp",
    recipient: RECIPIENT,
    startWorker: (env = {}) => workers.start(network, env),
    link: () => linkWith(() => assert.ok(network.scan("acc-1"))),
    received: () =>
      network.deliveriesTo(`${RECIPIENT}@s.whatsapp.net`).map((d) => ({ id: d.messageId, text: d.text, at: d.at })),
    inbound: async (fromPn, id, text) =>
      assert.equal(network.inbound("acc-1", { messageId: id, fromJid: `${fromPn}@s.whatsapp.net`, text }), "delivered"),
    receipt: (messageId, status) => assert.ok(network.receipt("acc-1", messageId, status)),
  };
}

/** The real Baileys socket against a fresh fake WhatsApp edge, and a fresh database, before each test. */
export function baileysWorld(): WhatsAppWorld {
  const ACCOUNT_PHONE = "4915100000099";
  const workers = workersPerTest();
  let edge: FakeWhatsApp;
  const contacts = new Map<string, FakeContact>();
  const contact = async (pn: string) => contacts.get(pn) ?? contacts.set(pn, await edge.addContact(pn)).get(pn)!;
  beforeEach(async () => {
    await resetFirestore();
    edge = await FakeWhatsApp.start();
    contacts.clear();
    await contact(RECIPIENT);
  });
  afterEach(async function () {
    if (this.currentTest?.state === "failed") console.log(edge.log.join("\n"));
    await edge.close();
  });
  return {
    name: "Baileys against the fake edge",
    recipient: RECIPIENT,
    startWorker: (env = {}) => workers.start(null, { WA_WEBSOCKET_URL: edge.url, ...env }),
    link: () => linkWith((qr) => scanThroughRefresh(edge, qr, ACCOUNT_PHONE)),
    received: () => contacts.get(RECIPIENT)!.received.map((m) => ({ id: m.id, text: m.text, at: m.at })),
    inbound: async (fromPn, id, text) =>
      void (await edge.sendFromContact(await contact(fromPn), ACCOUNT_PHONE, text, { id, addressing: "pn" })),
    receipt: (messageId, status) => edge.sendReceipt(contacts.get(RECIPIENT)!, ACCOUNT_PHONE, messageId, status),
  };
}
