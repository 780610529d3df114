import assert from "node:assert/strict";
import { escapeHtml, formatAlertMessages, formatDuration } from "@wa-gateway/core/longrun";

const NOW = Date.parse("2025-12-30T08:10:00Z");

describe("Telegram alert text", () => {
  it("says what, how bad, since when and what to do, in one message for the run", () => {
    const [message, ...rest] = formatAlertMessages(
      [
        {
          kind: "open",
          type: "missed_heartbeat",
          key: "global",
          sinceMs: NOW - 192_000,
          reason: "No heartbeat for 3m 12s",
        },
        { kind: "open", type: "logged_out", key: "acc-1", sinceMs: NOW - 60_000, reason: "logged out" },
      ],
      NOW,
      "demo-wa-gateway",
    );
    assert.equal(rest.length, 0);
    assert.match(message!, /P1 ALERT<\/b> WhatsApp account logged out · <code>acc-1<\/code>/);
    assert.match(message!, /P2 ALERT<\/b> Heartbeats stopped/);
    assert.match(message!, /Since 2025-12-30T08:06:48Z \(3m 12s ago\)/);
    assert.match(message!, /<i>Action:<\/i> Check the worker is running/);
    // Most severe first.
    assert.ok(message!.indexOf("P1") < message!.indexOf("P2"));
  });

  it("escapes everything that comes from data", () => {
    const [message] = formatAlertMessages(
      [{ kind: "open", type: "logged_out", key: "<b>x&y</b>", sinceMs: NOW, reason: "a <script> & more" }],
      NOW,
      "p<1>",
    );
    assert.ok(message!.includes("&lt;b&gt;x&amp;y&lt;/b&gt;"));
    assert.ok(message!.includes("a &lt;script&gt; &amp; more"));
    assert.ok(!message!.includes("<script>"));
    assert.equal(escapeHtml("<&>"), "&lt;&amp;&gt;");
  });

  it("a resolution gives the downtime", () => {
    const [message] = formatAlertMessages(
      [
        {
          kind: "resolve",
          type: "missed_heartbeat",
          key: "global",
          sinceMs: NOW - 400_000,
          endMs: NOW - 100_000,
          downtimeSec: 300,
        },
      ],
      NOW,
      "demo",
    );
    assert.match(
      message!,
      /RESOLVED<\/b> Heartbeats stopped\nDowntime 5m 00s \(2025-12-30T08:03:20Z → 2025-12-30T08:08:20Z\)/,
    );
  });

  it("splits a long run into messages under Telegram's 4096-character limit", () => {
    const lines = Array.from({ length: 60 }, (_, i) => ({
      kind: "open" as const,
      type: "reconnect_loop" as const,
      key: `account-${i}`,
      sinceMs: NOW,
      reason: "x".repeat(100),
    }));
    const messages = formatAlertMessages(lines, NOW, "demo");
    assert.ok(messages.length > 1);
    for (const m of messages) assert.ok(m.length <= 4096);
    assert.equal(messages.join("").split("account-").length - 1, 60);
  });

  it("formats durations the way people read them", () => {
    assert.deepEqual([45, 192, 7500, 93_600].map(formatDuration), ["45s", "3m 12s", "2h 05m", "1d 2h"]);
  });
});
