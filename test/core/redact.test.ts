import assert from "node:assert/strict";
import { findSecrets, scrubText } from "@wa-gateway/core";

const samples = {
  jwt: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ",
  telegram_bot_token: "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq",
  bearer_token: "Bearer ya29.a0AfH6SMBx-long-access-token",
  private_key: "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----",
};

describe("secret text patterns (one list for scrubbing and for finding)", () => {
  for (const [kind, secret] of Object.entries(samples)) {
    it(`${kind}: found with a masked sample, and scrubbed away`, () => {
      const text = `before ${secret} after`;
      const found = findSecrets(text);
      assert.deepEqual(
        found.map((f) => f.kind),
        [kind],
      );
      assert.ok(!found[0]!.sample.includes(secret.slice(4, -4)), "the sample does not reveal the secret");
      const scrubbed = scrubText(text);
      assert.ok(!scrubbed.includes(secret), scrubbed);
      assert.deepEqual(findSecrets(scrubbed), [], "nothing left to find after scrubbing");
    });
  }

  it("masked placeholders and ordinary text are not secrets", () => {
    assert.deepEqual(findSecrets('Authorization: Bearer [MASKED] {"token":"[redacted]"} order 1042 at 12:30:00'), []);
  });
});
