import assert from "node:assert/strict";
import { createServer } from "node:net";
import { GraphClient } from "../../../worker/src/transport/cloudApi/graphClient";
import { FakeGraphApi } from "../../support/fakeGraphApi";

describe("the Graph API client's answers to a Cloud API send", () => {
  let graph: FakeGraphApi;
  let client: GraphClient;
  const send = { to: "4915100000001", text: "hello", callbackData: "req-1" };

  beforeEach(async () => {
    graph = await FakeGraphApi.start();
    graph.addNumber("1001", "token-1001");
    graph.openWindow("1001", "4915100000001");
    client = new GraphClient({ baseUrl: graph.url, version: "v23.0", timeoutMs: 1_000 });
  });
  afterEach(() => graph.close());

  it("a send Meta takes answers with its wamid, and carries our callback data", async () => {
    const answer = await client.sendText("1001", "token-1001", send);
    assert.equal(answer.kind, "sent");
    assert.deepEqual(graph.sends, [
      {
        phoneNumberId: "1001",
        to: "4915100000001",
        text: "hello",
        callbackData: "req-1",
        wamid: (answer as { wamid: string }).wamid,
      },
    ]);
  });

  it("130429 and 131056 are throttling, to back off from", async () => {
    graph.refuseNext(1, { status: 400, code: 130429, message: "(#130429) Rate limit hit" });
    graph.refuseNext(1, {
      status: 400,
      code: 131056,
      message: "(#131056) (Business Account, Consumer Account) pair rate limit hit",
    });
    assert.deepEqual(
      [await client.sendText("1001", "token-1001", send), await client.sendText("1001", "token-1001", send)].map(
        (a) => [a.kind, "code" in a && a.code],
      ),
      [
        ["throttled", 130429],
        ["throttled", 131056],
      ],
    );
    assert.equal(graph.sends.length, 0);
  });

  it("131047 (outside the 24-hour window) is a permanent refusal with Meta's code and title", async () => {
    const stranger = { ...send, to: "4915100000002" }; // never wrote to the number
    assert.deepEqual(await client.sendText("1001", "token-1001", stranger), {
      kind: "refused",
      code: 131047,
      title: "(#131047) Re-engagement message",
      failure: "permanent",
    });
  });

  it("Meta's own trouble (131000, or any 5xx) is a refusal to try again", async () => {
    graph.refuseNext(1, { status: 400, code: 131000, message: "Something went wrong" });
    graph.refuseNext(1, { status: 503, code: 131026, message: "Service unavailable" });
    const answers = [
      await client.sendText("1001", "token-1001", send),
      await client.sendText("1001", "token-1001", send),
    ];
    assert.deepEqual(
      answers.map((a) => [a.kind, a.kind === "refused" && a.failure]),
      [
        ["refused", "transient"],
        ["refused", "transient"],
      ],
    );
  });

  it("finds the number with its token, and says when Meta refuses the token", async () => {
    const found = await client.phoneNumber("1001", "token-1001");
    assert.equal(found.kind, "found");
    assert.deepEqual((await client.phoneNumber("1001", "revoked")).kind, "token_refused");
  });

  it("a token Meta does not take is token_refused, never a send failure of the message's own", async () => {
    const answer = await client.sendText("1001", "revoked-token", send);
    assert.deepEqual([answer.kind, "code" in answer && answer.code], ["token_refused", 190]);
  });

  it("no answer in time is unknown: the message may have gone out", async () => {
    graph.hangNext(1);
    const quick = new GraphClient({ baseUrl: graph.url, version: "v23.0", timeoutMs: 200 });
    const answer = await quick.sendText("1001", "token-1001", send);
    assert.deepEqual(answer, { kind: "unknown", reason: "no answer in time" });
  });

  it("no connection at all is unreachable: certainly not sent", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const nowhere = new GraphClient({ baseUrl: `http://127.0.0.1:${port}`, version: "v23.0", timeoutMs: 1_000 });
    assert.deepEqual(await nowhere.sendText("1001", "token-1001", send), {
      kind: "unreachable",
      reason: "ECONNREFUSED",
    });
  });
});

describe("the Graph API client's templates", () => {
  const WABA = "102290129340398";
  let graph: FakeGraphApi;
  let client: GraphClient;
  const orderUpdate = {
    name: "order_update",
    language: "en_US",
    status: "APPROVED" as const,
    body: "Your order {{1}} ships on {{2}}.",
  };

  beforeEach(async () => {
    graph = await FakeGraphApi.start();
    graph.addNumber("1001", "token-1001", WABA);
    client = new GraphClient({ baseUrl: graph.url, version: "v23.0", timeoutMs: 1_000 });
  });
  afterEach(() => graph.close());

  it("sends an approved template with its body parameters, outside any window", async () => {
    graph.setTemplate(WABA, orderUpdate);
    const template = { name: "order_update", language: "en_US", parameters: ["A-17", "Friday"] };
    const answer = await client.sendTemplate("1001", "token-1001", {
      to: "4915100000009",
      template,
      callbackData: "r",
    });
    assert.equal(answer.kind, "sent");
    assert.deepEqual(
      graph.sends.map((s) => [s.text, s.template]),
      [["Your order A-17 ships on Friday.", template]],
    );
  });

  it("a template Meta has not approved is refused for good, with Meta's code", async () => {
    graph.setTemplate(WABA, { ...orderUpdate, status: "PAUSED" });
    const template = { name: "order_update", language: "en_US", parameters: ["A-17", "Friday"] };
    const answer = await client.sendTemplate("1001", "token-1001", {
      to: "4915100000009",
      template,
      callbackData: "r",
    });
    assert.deepEqual(
      [answer.kind, "code" in answer && answer.code, answer.kind === "refused" && answer.failure],
      ["refused", 132001, "permanent"],
    );
  });

  it("lists every template of the business account, page after page", async () => {
    for (const name of ["a_one", "b_two", "c_three", "d_four", "e_five"])
      graph.setTemplate(WABA, { ...orderUpdate, name });
    const listed = await client.templates(WABA, "token-1001");
    assert.equal(listed.kind, "listed");
    assert.deepEqual(
      (listed as { templates: Array<{ name: string }> }).templates.map((t) => t.name),
      ["a_one", "b_two", "c_three", "d_four", "e_five"],
    );
    assert.equal(graph.templateLists, 3, "pages of 2");
  });

  it("a list longer than the pages it may read is not a complete list", async () => {
    for (const name of ["a_one", "b_two", "c_three", "d_four", "e_five"])
      graph.setTemplate(WABA, { ...orderUpdate, name });
    const short = new GraphClient({ baseUrl: graph.url, version: "v23.0", timeoutMs: 1_000, maxTemplatePages: 2 });
    assert.deepEqual(await short.templates(WABA, "token-1001"), {
      kind: "unknown",
      reason: "more than 2 pages of templates",
    });
  });

  it("a template with no parameters goes without components, as in Meta's examples", async () => {
    graph.setTemplate(WABA, { ...orderUpdate, name: "hello_world", body: "Hello World" });
    const template = { name: "hello_world", language: "en_US", parameters: [] };
    const answer = await client.sendTemplate("1001", "token-1001", {
      to: "4915100000009",
      template,
      callbackData: "r",
    });
    assert.equal(answer.kind, "sent");
    assert.deepEqual(graph.requests.at(-1)?.template, { name: "hello_world", language: { code: "en_US" } });
  });

  it("describes a token's expiry as Meta tells it: a time, or never (0, a system user's token)", async () => {
    const at = new Date("2026-12-24T00:00:00Z");
    graph.expireTokenAt("token-1001", at);
    assert.deepEqual(await client.tokenInfo("token-1001"), { kind: "described", expiresAtMs: at.getTime() });
    graph.addNumber("1002", "token-1002", WABA);
    assert.deepEqual(await client.tokenInfo("token-1002"), { kind: "described", expiresAtMs: null });
    assert.equal((await client.tokenInfo("revoked")).kind, "token_refused");
  });

  it("a token that may not read the business account is token_refused", async () => {
    assert.equal((await client.templates(WABA, "revoked")).kind, "token_refused");
  });
});
