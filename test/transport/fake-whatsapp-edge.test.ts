import { strict as assert } from "node:assert";
import type { AuthenticationCreds, ConnectionState, WAMessage, WASocket } from "@whiskeysockets/baileys";
import { loadBaileys, type Baileys } from "../../worker/src/transport/baileys/module.js";
import { FakeWhatsApp } from "../support/fakeWhatsApp/edge.js";
import { memoryKeyStore, silentBaileysLogger } from "../support/fakeWhatsApp/signalParty.js";

/**
 * The fake edge against the unmodified Baileys socket, with Baileys' in-memory auth: if these
 * pass, what the transport suites see is Baileys' real behaviour, not the fake's.
 */
describe("the fake WhatsApp edge speaks to an unmodified Baileys socket", function () {
  this.timeout(30_000);
  let edge: FakeWhatsApp;
  let B: Baileys;
  let auth: { creds: AuthenticationCreds; keys: ReturnType<typeof memoryKeyStore> };
  const sockets: WASocket[] = [];

  function connect(): { socket: WASocket; updates: Partial<ConnectionState>[]; inbound: WAMessage[] } {
    const socket = B.makeWASocket({
      auth,
      waWebSocketUrl: edge.url,
      logger: silentBaileysLogger,
      markOnlineOnConnect: false,
      syncFullHistory: false,
    });
    sockets.push(socket);
    const updates: Partial<ConnectionState>[] = [];
    const inbound: WAMessage[] = [];
    socket.ev.on("creds.update", (update) => Object.assign(auth.creds, update));
    socket.ev.on("connection.update", (update) => updates.push(update));
    socket.ev.on("messages.upsert", ({ messages, type }) => {
      if (type === "notify") inbound.push(...messages);
    });
    return { socket, updates, inbound };
  }

  async function until<T>(read: () => T | undefined, what: string, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = read();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; edge log: ${edge.log.join("\n")}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  before(async () => {
    B = await loadBaileys();
    auth = { creds: B.initAuthCreds(), keys: memoryKeyStore() };
    // The WhatsApp before companion_reg_refresh: unmodified rc14 cannot link past that (Baileys
    // #2737); the transport handles it, tested in baileys-worker.test.ts.
    edge = await FakeWhatsApp.start({ regRefresh: "off" });
  });

  after(async () => {
    for (const socket of sockets) socket.end(undefined);
    await edge.close();
  });

  it("links by QR, restarts on 515, logs in, sends and receives end to end encrypted text", async () => {
    const contact = await edge.addContact("4915100000001", "Alice");
    const first = connect();
    const qr = await until(() => first.updates.find((u) => u.qr)?.qr, "a QR");
    assert.match(qr, /^https:\/\/wa\.me\/settings\/linked_devices#/);
    assert.equal(edge.scanQr(qr, "4915100000099"), "linked");
    const closed = await until(() => first.updates.find((u) => u.connection === "close"), "the 515 close");
    assert.equal(
      (closed.lastDisconnect?.error as { output?: { statusCode?: number } }).output?.statusCode,
      B.DisconnectReason.restartRequired,
    );
    assert.equal(auth.creds.me?.id, "4915100000099:1@s.whatsapp.net");

    const second = connect();
    await until(() => second.updates.find((u) => u.connection === "open"), "the login");

    await second.socket.sendMessage(contact.pnJid, { text: "hello Alice" }, { messageId: "OUTBOX-ID-1" });
    const received = await contact.nextMessage((m) => m.id === "OUTBOX-ID-1");
    assert.equal(received.text, "hello Alice");

    const inboundId = await edge.sendFromContact(contact, "4915100000099", "hi from Alice");
    const inbound = await until(() => second.inbound.find((m) => m.key.id === inboundId), "the inbound message");
    assert.equal(inbound.message?.conversation, "hi from Alice");
    assert.equal(inbound.key.remoteJid, contact.lidJid);
    assert.equal(inbound.key.remoteJidAlt, contact.pnJid);
    assert.equal(inbound.key.fromMe, false);
  });
});
