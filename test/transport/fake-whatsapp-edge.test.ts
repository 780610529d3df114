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

  function connect(): {
    socket: WASocket;
    updates: Partial<ConnectionState>[];
    inbound: WAMessage[];
    appended: WAMessage[];
  } {
    const socket = B.makeWASocket({
      auth,
      waWebSocketUrl: edge.url,
      logger: silentBaileysLogger,
      markOnlineOnConnect: false,
      syncFullHistory: false,
      // As the worker: no RECENT history, so Baileys does not hold every event for 20 s after the
      // first `<ib><offline>` waiting for a history notification this edge's phone never sends.
      shouldSyncHistoryMessage: ({ syncType }) => syncType === B.proto.HistorySync.HistorySyncType.INITIAL_BOOTSTRAP,
    });
    sockets.push(socket);
    const updates: Partial<ConnectionState>[] = [];
    const inbound: WAMessage[] = [];
    const appended: WAMessage[] = [];
    socket.ev.on("creds.update", (update) => Object.assign(auth.creds, update));
    socket.ev.on("connection.update", (update) => updates.push(update));
    socket.ev.on("messages.upsert", ({ messages, type }) => {
      if (type === "notify") inbound.push(...messages);
      else appended.push(...messages.filter((m) => !m.key.fromMe));
    });
    return { socket, updates, inbound, appended };
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

  it("holds what a contact sends while no socket is up, and delivers it after the next login as offline (append) messages", async () => {
    const contact = await edge.addContact("4915100000002", "Bob");
    const first = connect();
    await until(() => first.updates.find((u) => u.connection === "open"), "the login");
    await until(() => (first.updates.some((u) => u.receivedPendingNotifications) ? true : undefined), "<ib><offline>");
    first.socket.end(undefined);
    await until(() => (edge.online("4915100000099") ? undefined : true), "the socket gone");
    const ids: string[] = [];
    for (const text of ["one", "two", "three"]) ids.push(await edge.sendFromContact(contact, "4915100000099", text));
    assert.equal(edge.heldFor("4915100000099"), 3, "WhatsApp holds them");

    const second = connect();
    const pending = await until(
      () => second.updates.find((u) => u.receivedPendingNotifications),
      "<ib><offline count> after the offline messages",
    );
    assert.ok(pending);
    const got = await until(() => (second.appended.length >= 3 ? second.appended : undefined), "three appends");
    assert.deepEqual(
      got.map((m) => [m.key.id, m.message?.conversation]),
      ids.map((id, i) => [id, ["one", "two", "three"][i]]),
    );
    assert.equal(second.inbound.length, 0, "none of them as notify");
    await until(() => (edge.heldFor("4915100000099") === 0 ? true : undefined), "every one receipted");
  });

  it("hands a contact the messages in the order it accepted them, even when the first is slower to decrypt", async () => {
    const contact = await edge.addContact("4915100000003", "Carol");
    const socket = connect();
    await until(() => socket.updates.find((u) => u.connection === "open"), "the login");
    const decrypt = contact.party.repository.decryptMessage.bind(contact.party.repository);
    const secondAccepted = new Promise<void>((resolve) =>
      contact.events.on("accepted", (id: string) => id === "ORDER-2" && resolve()),
    );
    let calls = 0;
    contact.party.repository.decryptMessage = async (args) => {
      if (++calls === 1) await secondAccepted;
      return decrypt(args);
    };
    await socket.socket.sendMessage(contact.pnJid, { text: "first" }, { messageId: "ORDER-1" });
    await socket.socket.sendMessage(contact.pnJid, { text: "second" }, { messageId: "ORDER-2" });
    await contact.nextMessage((m) => m.id === "ORDER-2");
    await contact.nextMessage((m) => m.id === "ORDER-1");
    assert.deepEqual(
      contact.received.map((m) => m.text),
      ["first", "second"],
    );
  });
});
