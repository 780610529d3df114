import assert from "node:assert/strict";
import { createLogger } from "../../worker/src/logger";
import { jsonLineSink } from "../support/logSink";

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
