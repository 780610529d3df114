import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { captureConsole } from "../../worker/src/logging/consoleCapture";
import { createLogger } from "../../worker/src/logging/logger";
import { LogRate } from "../../worker/src/logging/logRate";
import { baileysLogger } from "../../worker/src/transport/baileys/baileysLogger";
import { jsonLineSink } from "../support/logSink";

/** libsignal, as Baileys loads it (CommonJS, untyped): its session record prints to the console. */
const { SessionRecord } = createRequire(__filename)("libsignal") as {
  SessionRecord: new () => { closeSession(session: object): void };
};

const BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq";
const JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSIsImFkbWluIjp0cnVlfQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ";

function capture() {
  const { sink, lines } = jsonLineSink();
  const logger = createLogger(
    { level: "info", workerId: "w-1", service: { name: "wa-worker", version: "1.2.3" } },
    sink,
  );
  return { logger, lines, raw: () => JSON.stringify(lines) };
}

describe("worker logs for Cloud Logging and Error Reporting", () => {
  it("an error carries its stack in stack_trace, typed as a ReportedErrorEvent with the service", () => {
    const { logger, lines } = capture();
    logger.error({ err: new TypeError("socket went away"), accountId: "acc-1" }, "outbox_deliver_error");
    const line = lines[0]!;
    assert.equal(line.severity, "ERROR");
    assert.equal(line.message, "outbox_deliver_error");
    assert.equal(line["@type"], "type.googleapis.com/google.devtools.clouderrorreporting.v1beta1.ReportedErrorEvent");
    assert.match(String(line.stack_trace), /^TypeError: socket went away\n\s+at /);
    assert.deepEqual(line.serviceContext, { service: "wa-worker", version: "1.2.3" });
    assert.equal(line.err, "socket went away");
  });

  it("masks tokens inside the error's message and stack", () => {
    const { logger, raw } = capture();
    logger.error(
      { err: new Error(`Telegram said 401 for /bot${BOT_TOKEN}/sendMessage with Bearer ${JWT}`) },
      "x_failed",
    );
    assert.ok(!raw().includes(BOT_TOKEN), "bot token masked");
    assert.ok(!raw().includes(JWT), "JWT masked");
    assert.match(raw(), /\/bot\[bot-token\]\/sendMessage/);
  });

  it("a warning with an error stays a plain line: no stack, not an Error Reporting event", () => {
    const { logger, lines } = capture();
    logger.warn({ err: new Error(`retry later ${BOT_TOKEN}`) }, "outbox_send_failed");
    assert.equal(lines[0]!.severity, "WARNING");
    assert.equal(lines[0]!["@type"], undefined);
    assert.equal(lines[0]!.stack_trace, undefined);
    assert.equal(lines[0]!.err, "retry later [bot-token]");
  });

  it("masks secret fields by name wherever they sit", () => {
    const { logger, raw } = capture();
    logger.info({ token: "tok-value-1", nested: { idToken: JWT } }, "x");
    assert.doesNotMatch(raw(), /tok-value-1|eyJ/);
  });
});

describe("log lines a flood cannot multiply, and a console that leaks nothing", () => {
  it("one kind of line is written at most perWindow times a window; the count left out rides on the next", () => {
    let nowMs = 0;
    const rate = new LogRate(2, 60_000, () => nowMs);
    const verdicts = Array.from({ length: 5 }, () => rate.admit("failed to decrypt message"));
    assert.deepEqual(verdicts, [
      { log: true, suppressed: 0 },
      { log: true, suppressed: 0 },
      { log: false },
      { log: false },
      { log: false },
    ]);
    assert.deepEqual(rate.admit("another line"), { log: true, suppressed: 0 }, "counted per kind");
    nowMs = 60_000;
    assert.deepEqual(rate.admit("failed to decrypt message"), { log: true, suppressed: 3 });
  });

  it("Baileys' decrypt errors for a flood of messages become a few lines with the count", () => {
    const { logger, lines } = capture();
    const log = baileysLogger(logger.child({ accountId: "acc-1" }), new LogRate(3, 60_000, () => 0));
    for (let i = 0; i < 100; i++)
      log.error({ key: { id: `m-${i}` }, err: new Error("Bad MAC") }, "failed to decrypt message");
    assert.equal(lines.length, 3);
    assert.deepEqual(
      lines.map((l) => [l.message, l.severity, l.accountId]),
      Array.from({ length: 3 }, () => ["failed to decrypt message", "ERROR", "acc-1"]),
    );
  });

  it("the normal 515 restart after pairing and the LID session refresh are not errors or warnings", () => {
    const { sink, lines } = jsonLineSink();
    const log = baileysLogger(createLogger({ level: "debug", workerId: "w-1" }, sink));
    // The calls as Baileys makes them (lib/Socket/socket.js, lib/Socket/messages-send.js).
    const restart = { tag: "stream:error", attrs: { code: "515" } };
    log.error({ reasonNode: undefined, fullErrorNode: restart }, "stream errored out");
    const lidFailure = Object.assign(new Error("Internal Server Error"), { output: { statusCode: 500 } });
    log.warn({ e: lidFailure, count: 1 }, "failed to assert sessions for newly mapped LIDs");
    const conflict = { tag: "stream:error", attrs: {}, content: [{ tag: "conflict", attrs: { type: "replaced" } }] };
    log.error({ reasonNode: conflict.content[0], fullErrorNode: conflict }, "stream errored out");
    assert.deepEqual(
      lines.map((l) => [l.message, l.severity]),
      [
        ["stream errored out", "INFO"],
        ["failed to assert sessions for newly mapped LIDs", "DEBUG"],
        ["stream errored out", "ERROR"],
      ],
      "any other stream error stays an error",
    );
  });

  it("libsignal's console print of a session record reaches the log as its text, never the keys", () => {
    const { sink, lines } = jsonLineSink();
    const logger = createLogger({ level: "debug", workerId: "w-1" }, sink);
    const privKey = Buffer.from("a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9", "hex");
    const restore = captureConsole(logger);
    try {
      new SessionRecord().closeSession({
        indexInfo: { closed: -1 },
        currentRatchet: { ephemeralKeyPair: { privKey } },
      });
    } finally {
      restore();
    }
    assert.deepEqual(
      lines.map((l) => [l.message, l.severity, l.text, l.objectsDropped]),
      [["console_output", "DEBUG", "Closing session:", 1]],
    );
    const raw = JSON.stringify(lines);
    assert.ok(!raw.includes(privKey.toString("hex")) && !raw.includes("a1 b2 c3"), "no key bytes in any form");
  });
});
