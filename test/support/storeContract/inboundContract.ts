import assert from "node:assert/strict";
import { encodeIdSegment, inboundThreadId } from "@wa-gateway/core";
import type { InboundChange, InboundMessage } from "@wa-gateway/core/accounts";
import type { StoreWorld } from "./storeWorld";

const PEER = "40711111111@s.whatsapp.net";
const PEER_LID = "81234567890123@lid";
const OTHER = "40722222222@s.whatsapp.net";
const message = (
  messageId: string,
  text = `text ${messageId}`,
  over: Partial<InboundMessage> = {},
): InboundMessage => ({
  messageId,
  fromJid: PEER,
  text,
  timestamp: new Date(),
  ...over,
});
/** A reaction, edit or deletion of `target` (a contact's message unless `fromMe`). */
const change = (
  messageId: string,
  target: string,
  what: InboundChange,
  over: Partial<InboundMessage> & { targetFromMe?: boolean } = {},
): InboundMessage => {
  const { targetFromMe = false, ...rest } = over;
  return message(messageId, "", { change: { target: { messageId: target, fromMe: targetFromMe }, ...what }, ...rest });
};
const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000);

/** The inbound store's exactly-once storage and receipts, whichever database is under it. */
export function inboundContract(world: StoreWorld): void {
  describe("the inbound store", () => {
    const threadId = inboundThreadId("acc-1", PEER);

    it("stores a message from a new peer in a thread nobody owns yet", async () => {
      assert.equal(await world.inbound().store("acc-1", message("M1", "hi there")), "stored");
      const thread = (await world.thread(threadId))!;
      assert.deepEqual([thread.ownerUid, thread.peerJid, thread.lastMessagePreview], [null, PEER, "hi there"]);
      const stored = (await world.threadMessage(threadId, `in_${encodeIdSegment("M1")}`))!;
      assert.deepEqual([stored.direction, stored.text, stored.status], ["in", "hi there", "delivered"]);
    });

    it("answers duplicate to the same message again, and stores it once", async () => {
      await world.inbound().store("acc-1", message("M1"));
      assert.equal(await world.inbound().store("acc-1", message("M1", "changed")), "duplicate");
      assert.equal((await world.threadMessage(threadId, `in_${encodeIdSegment("M1")}`))!.text, "text M1");
    });

    it("stores a message handed to two workers at once exactly once", async () => {
      const results = await Promise.all([
        world.inbound().store("acc-1", message("M1")),
        world.inbound().store("acc-1", message("M1")),
      ]);
      assert.deepEqual(results.sort(), ["duplicate", "stored"]);
    });

    it("dedupes per account: the same message id on two accounts is stored twice", async () => {
      await world.inbound().store("acc-1", message("M1"));
      assert.equal(await world.inbound().store("acc-2", message("M1")), "stored");
    });

    it("never writes a thread of another account: the peer's thread takes the fallback id", async () => {
      await world.putThread(threadId, { accountId: "acc-2", peerJid: "40722222222@s.whatsapp.net", ownerUid: "x" });
      assert.equal(await world.inbound().store("acc-1", message("M1", "hi there")), "stored");
      const squatted = (await world.thread(threadId))!;
      assert.deepEqual(
        [squatted.accountId, squatted.ownerUid, squatted.lastMessagePreview],
        ["acc-2", "x", "from a client"],
      );
      const own = (await world.thread(inboundThreadId("acc-1", PEER, 1)))!;
      assert.deepEqual([own.accountId, own.peerJid, own.ownerUid], ["acc-1", PEER, null]);
    });

    it("puts the peer's next message in the same thread", async () => {
      await world.inbound().store("acc-1", message("M1"));
      await world.inbound().store("acc-1", message("M2", "again"));
      assert.equal((await world.thread(threadId))!.lastMessagePreview, "again");
      assert.ok(await world.threadMessage(threadId, `in_${encodeIdSegment("M2")}`));
    });

    it("keeps the thread's last message and preview when an offline message older than it arrives", async () => {
      await world.inbound().store("acc-1", message("NEW", "the latest", { timestamp: minutesAgo(1) }));
      assert.equal(
        await world.inbound().store("acc-1", message("OLD", "sent while down", { timestamp: minutesAgo(30) })),
        "stored",
      );
      const thread = (await world.thread(threadId))!;
      assert.equal(thread.lastMessagePreview, "the latest");
      const latest = (await world.threadMessage(threadId, `in_${encodeIdSegment("NEW")}`))!;
      assert.equal(thread.lastMessageAt.toMillis(), latest.createdAt.toMillis());
      const old = (await world.threadMessage(threadId, `in_${encodeIdSegment("OLD")}`))!;
      assert.ok(old.createdAt.toMillis() < thread.lastMessageAt.toMillis(), "the old message keeps its own time");
    });

    it("takes a reply in the same second as what the thread shows as after it (WhatsApp's time is whole seconds)", async () => {
      // What the thread shows has milliseconds (our send's time); WhatsApp stamps the reply to the second.
      const second = Math.floor(Date.now() / 1000) * 1000 - 60_000;
      await world.inbound().store("acc-1", message("FIRST", "our question", { timestamp: new Date(second + 700) }));
      await world.inbound().store("acc-1", message("REPLY", "the answer", { timestamp: new Date(second) }));
      const thread = (await world.thread(threadId))!;
      assert.equal(thread.lastMessagePreview, "the answer");
      const first = (await world.threadMessage(threadId, `in_${encodeIdSegment("FIRST")}`))!;
      const reply = (await world.threadMessage(threadId, `in_${encodeIdSegment("REPLY")}`))!;
      assert.ok(reply.createdAt.toMillis() > first.createdAt.toMillis(), "the reply is ordered after");
      assert.equal(thread.lastMessageAt.toMillis(), reply.createdAt.toMillis());
    });

    it("stores the same message id from two contacts twice: a message is its chat, its sender and its id", async () => {
      assert.equal(await world.inbound().store("acc-1", message("SAME", "from the first")), "stored");
      assert.equal(
        await world.inbound().store("acc-1", message("SAME", "from the second", { fromJid: OTHER })),
        "stored",
      );
      const other = (await world.threadMessage(inboundThreadId("acc-1", OTHER), `in_${encodeIdSegment("SAME")}`))!;
      assert.equal(other.text, "from the second");
      assert.equal(await world.inbound().store("acc-1", message("SAME", "again", { fromJid: OTHER })), "duplicate");
    });

    it("still finds a message stored under the old key (account and id) in its thread, and only there", async () => {
      await world.putOldDedupeMarker("acc-1", "M-OLD", threadId);
      assert.equal(await world.inbound().store("acc-1", message("M-OLD")), "duplicate");
      assert.equal(
        await world.inbound().store("acc-1", message("M-OLD", "another contact", { fromJid: OTHER })),
        "stored",
      );
    });

    it("keeps a contact's LID and phone number in one thread", async () => {
      assert.equal(
        await world.inbound().store("acc-1", message("L1", "hidden number", { fromJid: PEER_LID })),
        "stored",
      );
      const lidThread = inboundThreadId("acc-1", PEER_LID);
      // Later WhatsApp tells the number too: the same person, the same thread.
      await world.inbound().store("acc-1", message("L2", "now with number", { fromJidAlt: PEER_LID }));
      assert.ok(await world.threadMessage(lidThread, `in_${encodeIdSegment("L2")}`));
      assert.equal(await world.thread(threadId), undefined, "no second thread under the number");
      await world.inbound().store("acc-1", message("L3", "number only"));
      assert.ok(await world.threadMessage(lidThread, `in_${encodeIdSegment("L3")}`));
    });

    it("stores each kind as what it is, with a preview that is never blank", async () => {
      const kinds: [string, string, string][] = [
        ["image", "", "📷 Photo"],
        ["image", "at the beach", "📷 at the beach"],
        ["voice", "", "🎤 Voice message"],
        ["document", "invoice.pdf", "📄 invoice.pdf"],
        ["sticker", "", "💟 Sticker"],
        ["location", "", "📍 Location"],
      ];
      for (const [i, [kind, text, preview]] of kinds.entries()) {
        await world.inbound().store("acc-1", message(`K${i}`, text, { kind }));
        const stored = (await world.threadMessage(threadId, `in_${encodeIdSegment(`K${i}`)}`))!;
        assert.deepEqual([stored.kind, stored.text], [kind, text]);
        assert.equal((await world.thread(threadId))!.lastMessagePreview, preview);
      }
    });

    it("applies a reaction, an edit and a deletion to their target instead of adding messages", async () => {
      await world.inbound().store("acc-1", message("T1", "first words", { timestamp: minutesAgo(2) }));
      await world.inbound().store("acc-1", message("T2", "typo hree", { timestamp: minutesAgo(1) }));
      const doc = (id: string) => world.threadMessage(threadId, `in_${encodeIdSegment(id)}`);
      assert.equal(
        await world.inbound().store("acc-1", change("R1", "T1", { type: "reaction", emoji: "👍" })),
        "applied",
      );
      assert.deepEqual((await doc("T1"))!.reactions, { [PEER]: "👍" });
      assert.equal(
        await world.inbound().store("acc-1", change("E1", "T2", { type: "edit", text: "typo here" })),
        "applied",
      );
      const edited = (await doc("T2"))!;
      assert.equal(edited.text, "typo here");
      assert.ok(edited.editedAt);
      assert.equal((await world.thread(threadId))!.lastMessagePreview, "typo here", "the preview follows the edit");
      assert.equal(await world.inbound().store("acc-1", change("D1", "T1", { type: "revoke" })), "applied");
      assert.deepEqual([(await doc("T1"))!.deleted, (await doc("T1"))!.text], [true, ""]);
      for (const id of ["R1", "E1", "D1"]) assert.equal(await doc(id), undefined, `${id} is no bubble`);
      assert.equal(
        await world.inbound().store("acc-1", change("R1", "T1", { type: "reaction", emoji: "👍" })),
        "duplicate",
      );
      assert.equal(
        await world.inbound().store("acc-1", change("R2", "T1", { type: "reaction", emoji: "" })),
        "applied",
      );
      assert.deepEqual((await doc("T1"))!.reactions, {}, "a reaction taken back");
    });

    it("keeps a change whose target is unknown aside, and applies it when the target arrives", async () => {
      await world.inbound().store("acc-1", message("BEFORE", "hello"));
      assert.equal(
        await world.inbound().store("acc-1", change("R1", "LATE", { type: "reaction", emoji: "❤️" })),
        "held",
      );
      assert.equal(
        await world.inbound().store("acc-1", change("E1", "LATE", { type: "edit", text: "edited" })),
        "held",
      );
      assert.equal((await world.thread(threadId))!.lastMessagePreview, "hello", "nothing shown for it");
      assert.equal(
        await world.inbound().store("acc-1", message("LATE", "original", { timestamp: minutesAgo(1) })),
        "stored",
      );
      const late = (await world.threadMessage(threadId, `in_${encodeIdSegment("LATE")}`))!;
      assert.deepEqual([late.text, late.reactions], ["edited", { [PEER]: "❤️" }]);
    });

    it("applies a change kept aside under the contact's LID thread when its target lands in the number's thread", async () => {
      // WhatsApp told the LID alone with the reaction, and the number alone with its target.
      const reaction = change("R1", "LATE", { type: "reaction", emoji: "❤️" }, { fromJid: PEER_LID });
      assert.equal(await world.inbound().store("acc-1", reaction), "held");
      assert.equal(await world.inbound().store("acc-1", message("LATE", "original")), "stored");
      const late = (await world.threadMessage(threadId, `in_${encodeIdSegment("LATE")}`))!;
      assert.deepEqual(late.reactions, { [PEER_LID]: "❤️" });
    });

    it("knows a message delivered again as stored, under its number or its LID, and only the same writer's", async () => {
      await world.inbound().store("acc-1", message("S1", "hello", { fromJidAlt: PEER_LID }));
      const stored = (ref: Partial<InboundMessage>) =>
        world.inbound().stored("acc-1", { messageId: "S1", fromJid: PEER, ...ref });
      assert.deepEqual(
        [await stored({}), await stored({ fromJid: PEER_LID }), await stored({ fromJid: PEER, fromJidAlt: PEER_LID })],
        [true, true, true],
      );
      assert.deepEqual(
        [
          await stored({ messageId: "S2" }),
          await stored({ fromJid: OTHER }),
          await stored({ fromMe: true }),
          await world.inbound().stored("acc-2", { messageId: "S1", fromJid: PEER }),
        ],
        [false, false, false, false],
        "another id, another contact, the account's phone, another account",
      );
    });

    it("finds a reaction's target among the account's own sends by providerMessageId", async () => {
      await world.putOutboxEntry("req-1", { status: "sent", sentAt: new Date(), toJid: PEER });
      await world.putThreadPeer("acc-1", PEER, "t1");
      const reaction = change("R1", "3EB0req-1", { type: "reaction", emoji: "🙏" }, { targetFromMe: true });
      assert.equal(await world.inbound().store("acc-1", reaction), "applied");
      assert.deepEqual((await world.threadMessage("t1", "req-1"))!.reactions, { [PEER]: "🙏" });
    });

    it("stores what staff typed on the linked phone as outbound with no sender, and not the gateway's own sends", async () => {
      await world.putOutboxEntry("req-1", { status: "sent", sentAt: new Date(), toJid: PEER });
      await world.putThreadPeer("acc-1", PEER, "t1");
      assert.equal(
        await world.inbound().store("acc-1", message("3EB0req-1", "text of req-1", { fromMe: true })),
        "duplicate",
      );
      assert.equal(
        await world.inbound().store("acc-1", message("PHONE1", "typed on the phone", { fromMe: true })),
        "stored",
      );
      const typed = (await world.threadMessage("t1", `me_${encodeIdSegment("PHONE1")}`))!;
      assert.deepEqual([typed.direction, typed.senderUid, typed.text], ["out", null, "typed on the phone"]);
      assert.equal(
        await world.inbound().store("acc-1", message("PHONE1", "typed on the phone", { fromMe: true })),
        "duplicate",
      );
    });

    it("moves an outgoing message forward on a receipt, never backward", async () => {
      await world.putOutboxEntry("req-1", { status: "sent", sentAt: new Date() });
      const inbound = world.inbound();
      assert.equal(await inbound.receipt("acc-1", { messageId: "3EB0req-1", status: "read" }), "advanced");
      assert.equal(await inbound.receipt("acc-1", { messageId: "3EB0req-1", status: "delivered" }), "unchanged");
      assert.equal((await world.threadMessage("t1", "req-1"))!.status, "read");
    });

    it("answers unknown to a receipt for no message of this account", async () => {
      await world.putOutboxEntry("req-1", { status: "sent", sentAt: new Date() });
      assert.equal(await world.inbound().receipt("acc-1", { messageId: "3EB0nothing", status: "read" }), "unknown");
      assert.equal(await world.inbound().receipt("acc-2", { messageId: "3EB0req-1", status: "read" }), "unknown");
    });

    it("fails the message and its entry on an error receipt, once", async () => {
      await world.putOutboxEntry("req-1", { status: "sent", sentAt: new Date() });
      const refused = { messageId: "3EB0req-1", status: "failed" as const, code: 463 };
      assert.equal(await world.inbound().receipt("acc-1", refused), "advanced");
      const entry = (await world.outboxEntry("req-1"))!;
      assert.deepEqual(
        [entry.status, entry.failureKind],
        ["failed", "permanent"],
        "refused by WhatsApp: permanent, so a requeue leaves it unless told",
      );
      assert.match(entry.lastError!, /^WhatsApp refused the message \(code 463\): .*reach-out timelock/);
      assert.equal((await world.threadMessage("t1", "req-1"))!.status, "failed");
      assert.equal(await world.inbound().receipt("acc-1", refused), "unchanged");
    });

    describe("opt-out keywords", () => {
      const lidToo = { fromJidAlt: PEER_LID };

      it("a contact whose whole message is STOP is recorded under its number and its LID, with the message", async () => {
        assert.equal(await world.inbound().store("acc-1", message("S1", " Stop! ", lidToo)), "stored");
        const byNumber = (await world.optOut("acc-1", PEER))!;
        assert.deepEqual(
          [byNumber.contactJid, byNumber.otherJid, byNumber.keyword, byNumber.messageId, byNumber.source],
          [PEER, PEER_LID, "STOP", "S1", "contact"],
        );
        assert.equal((await world.optOut("acc-1", PEER_LID))!.otherJid, PEER);
        assert.equal((await world.threadMessage(threadId, `in_${encodeIdSegment("S1")}`))!.text, " Stop! ");
        assert.equal(await world.optOut("acc-2", PEER), undefined, "per account");
      });

      it("START removes both records, even when told by the number alone", async () => {
        await world.inbound().store("acc-1", message("S1", "STOP", { ...lidToo, timestamp: minutesAgo(2) }));
        assert.equal(
          await world.inbound().store("acc-1", message("S2", "start", { timestamp: minutesAgo(1) })),
          "stored",
        );
        assert.equal(await world.optOut("acc-1", PEER), undefined);
        assert.equal(await world.optOut("acc-1", PEER_LID), undefined);
      });

      it("only a whole message counts, and only a contact's text", async () => {
        await world.inbound().store("acc-1", message("T1", "please stop the delivery"));
        await world.inbound().store("acc-1", message("T2", "STOP", { fromMe: true }));
        await world.inbound().store("acc-1", message("T3", "STOP", { kind: "image" }));
        assert.equal(await world.optOut("acc-1", PEER), undefined);
      });

      it("a STOP delivered again after START is a duplicate, and opts nobody out again", async () => {
        await world.inbound().store("acc-1", message("S1", "STOP", { timestamp: minutesAgo(2) }));
        await world.inbound().store("acc-1", message("S2", "START", { timestamp: minutesAgo(1) }));
        assert.equal(
          await world.inbound().store("acc-1", message("S1", "STOP", { timestamp: minutesAgo(2) })),
          "duplicate",
        );
        assert.equal(await world.optOut("acc-1", PEER), undefined);
      });

      it("an older START arriving after a newer STOP (offline delivery) leaves the opt-out", async () => {
        await world.inbound().store("acc-1", message("S2", "baja", { timestamp: minutesAgo(1) }));
        await world.inbound().store("acc-1", message("S1", "START", { timestamp: minutesAgo(5) }));
        assert.equal((await world.optOut("acc-1", PEER))!.keyword, "BAJA");
      });
    });
  });
}
