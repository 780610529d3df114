import assert from "node:assert/strict";
import {
  afterClose,
  closesWithinHour,
  DEFAULT_RECONNECT_POLICY,
  reconnectDelayMs,
  statusAfterClose,
  wantsSocket,
  type SocketClose,
} from "@wa-gateway/core/accounts";

/** A linked socket's first close in the hour. */
const close = (code: number | undefined, over: Partial<SocketClose> = {}): SocketClose => ({
  code,
  wasLinking: false,
  closesInLastHour: 1,
  failures: 1,
  ...over,
});
const noJitter = () => 1;

describe("account connection state machine", () => {
  it("maps Baileys disconnect codes to what the owner does next", () => {
    assert.deepEqual(afterClose(close(515)), { kind: "reconnect_now" });
    assert.deepEqual(afterClose(close(401)), { kind: "stop", status: "logged_out", dropSession: true });
    assert.deepEqual(afterClose(close(403)), { kind: "stop", status: "logged_out", dropSession: true });
    assert.deepEqual(afterClose(close(411)), { kind: "stop", status: "needs_qr", dropSession: true });
    for (const code of [408, 428, 440, 503]) {
      assert.deepEqual(afterClose(close(code), DEFAULT_RECONNECT_POLICY, noJitter), {
        kind: "reconnect_later",
        delayMs: 1000,
        cooldown: false,
      });
    }
  });

  it("a 500 is Baileys' catch-all for stream and WebSocket errors: back off and keep the session", () => {
    for (const code of [500, undefined]) {
      const next = afterClose(close(code), DEFAULT_RECONNECT_POLICY, noJitter);
      assert.deepEqual(next, { kind: "reconnect_later", delayMs: 1000, cooldown: false });
      assert.equal(statusAfterClose(next), "disconnected");
    }
  });

  it("a QR left unscanned waits for a person, with the session kept; a 515 after the scan reconnects", () => {
    assert.deepEqual(afterClose(close(408, { wasLinking: true })), {
      kind: "stop",
      status: "needs_qr",
      dropSession: false,
    });
    assert.deepEqual(afterClose(close(515, { wasLinking: true })), { kind: "reconnect_now" });
    assert.equal(statusAfterClose({ kind: "reconnect_now" }), "connecting");
  });

  it("more closes in an hour than the policy allows cool the account down instead of backing off", () => {
    const policy = { ...DEFAULT_RECONNECT_POLICY, perHour: 3, cooldownMs: 600_000 };
    assert.equal(afterClose(close(428, { closesInLastHour: 3 }), policy, noJitter).kind, "reconnect_later");
    assert.deepEqual(afterClose(close(428, { closesInLastHour: 4 }), policy, noJitter), {
      kind: "reconnect_later",
      delayMs: 600_000,
      cooldown: true,
    });
    // A logout is a logout, however often the account closed before.
    assert.equal(afterClose(close(401, { closesInLastHour: 40 }), policy).kind, "stop");
  });

  it("reconnect delay grows to a one-minute cap", () => {
    assert.equal(reconnectDelayMs(1, DEFAULT_RECONNECT_POLICY, noJitter), 1000);
    assert.equal(reconnectDelayMs(4, DEFAULT_RECONNECT_POLICY, noJitter), 8000);
    assert.equal(reconnectDelayMs(20, DEFAULT_RECONNECT_POLICY, noJitter), 60_000);
  });

  it("counts only the closes of the last hour", () => {
    const now = 10 * 3_600_000;
    assert.equal(closesWithinHour([now - 3_600_001, now - 3_599_000, now - 1], now), 2);
  });

  it("claims a socket for every status but the dormant ones and needs_qr", () => {
    assert.deepEqual(
      (["pending_qr", "connecting", "connected", "disconnected", "needs_qr", "logged_out", "removed"] as const).filter(
        wantsSocket,
      ),
      ["pending_qr", "connecting", "connected", "disconnected"],
    );
  });
});
