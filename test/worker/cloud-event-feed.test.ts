import assert from "node:assert/strict";
import { cloudApiEvents } from "@wa-gateway/data";
import { firestoreCloudEventFeed, type FeedEvent } from "../../worker/src/transport/cloudApi/cloudEventFeed";
import { adminDb, resetFirestore } from "../support/emulator";
import { eventually } from "../support/worker";

const NUMBER = "1001";

/** An event as the webhook stores it: a customer's text `n`, received `10 - n` seconds into the day (so ids sort against arrival). */
async function stored(n: number): Promise<string> {
  const id = `m_wamid%2E${n}`;
  await cloudApiEvents.write(adminDb(), id).create({
    phoneNumberId: NUMBER,
    kind: "message",
    wamid: `wamid.${n}`,
    callbackData: null,
    payload: JSON.stringify({
      message: {
        id: `wamid.${n}`,
        from: "4915100000001",
        timestamp: "1764700000",
        type: "text",
        text: { body: `m${n}` },
      },
      contact: null,
    }),
    receivedAt: new Date(Date.UTC(2026, 11, 3, 0, 0, 10 - n)),
    handledAt: null,
    expireAt: new Date(Date.UTC(2026, 11, 17)),
  });
  return id;
}

const bodyOf = (event: FeedEvent) =>
  event.kind === "message" ? (event.message.text as { body: string }).body : `(${event.kind})`;

describe("the Cloud API event feed: what the webhook stored, taken by the number's worker", function () {
  this.timeout(30_000);
  beforeEach(resetFirestore);

  it("offers the number's events one at a time, in the order they arrived, and marks each handled", async () => {
    for (const n of [1, 3, 2]) await stored(n);
    const taken: string[] = [];
    const stop = firestoreCloudEventFeed(adminDb()).follow(
      NUMBER,
      async (event) => {
        taken.push(bodyOf(event));
        return "handled";
      },
      { takeFailed: assert.fail, listenerFailed: assert.fail },
    );
    try {
      await eventually("all handled", async () => (await cloudApiEvents.unhandledOf(adminDb(), NUMBER).get()).empty);
      assert.deepEqual(taken, ["m3", "m2", "m1"]);
    } finally {
      stop();
    }
  });

  it("offers an event whose take failed again before any event after it", async () => {
    for (const n of [1, 2]) await stored(n);
    const taken: string[] = [];
    const failures: string[] = [];
    let failOnce = true;
    const stop = firestoreCloudEventFeed(adminDb()).follow(
      NUMBER,
      async (event) => {
        taken.push(bodyOf(event));
        if (bodyOf(event) === "m2" && failOnce) {
          failOnce = false;
          throw new Error("the inbound store is unavailable");
        }
        return "handled";
      },
      { takeFailed: (err, eventId) => failures.push(`${eventId}: ${err.message}`), listenerFailed: assert.fail },
    );
    try {
      await eventually(
        "all handled",
        async () => (await cloudApiEvents.unhandledOf(adminDb(), NUMBER).get()).empty,
        20_000,
      );
      assert.deepEqual(failures, ["m_wamid%2E2: the inbound store is unavailable"]);
      assert.deepEqual(taken, ["m2", "m2", "m1"]);
    } finally {
      stop();
    }
  });

  it("leaves an event taken `later` unhandled, for the next follow", async () => {
    const id = await stored(1);
    const feed = firestoreCloudEventFeed(adminDb());
    let offeredOnce!: () => void;
    const offered = new Promise<void>((resolve) => (offeredOnce = resolve));
    const stop = feed.follow(
      NUMBER,
      async () => {
        offeredOnce();
        return "later";
      },
      { takeFailed: assert.fail, listenerFailed: assert.fail },
    );
    await offered;
    stop();
    assert.equal((await cloudApiEvents.doc(adminDb(), id).get()).data()!.handledAt, null);
    const again: string[] = [];
    const stopAgain = feed.follow(
      NUMBER,
      async (event) => {
        again.push(bodyOf(event));
        return "handled";
      },
      { takeFailed: assert.fail, listenerFailed: assert.fail },
    );
    try {
      await eventually(
        "handled on the next follow",
        async () => (await cloudApiEvents.unhandledOf(adminDb(), NUMBER).get()).empty,
      );
      assert.deepEqual(again, ["m1"]);
    } finally {
      stopAgain();
    }
  });
});
