import assert from "node:assert/strict";
import { mediaBucketFromArgs, UsageError } from "../../scripts/deploy/mediaBucket";

describe("the media bucket's lifecycle and CORS, as code", () => {
  it("deletes uploads after a day and media after the retention (a year unless told)", () => {
    const { lifecycle, command } = mediaBucketFromArgs(["--bucket", "acme-wa.firebasestorage.app"]);
    assert.deepEqual(lifecycle, {
      rule: [
        { action: { type: "Delete" }, condition: { age: 1, matchesPrefix: ["uploads/"] } },
        { action: { type: "Delete" }, condition: { age: 365, matchesPrefix: ["media/"] } },
      ],
    });
    assert.equal(
      command,
      "gcloud storage buckets update gs://acme-wa.firebasestorage.app --lifecycle-file=media-lifecycle.json",
    );
    const shorter = mediaBucketFromArgs(["--bucket", "b-1", "--retention-days", "30"]).lifecycle as {
      rule: { condition: { age: number } }[];
    };
    assert.equal(shorter.rule[1]!.condition.age, 30);
  });

  it("allows the apps' origins to PUT uploads and GET media, and applies it with the lifecycle", () => {
    const { cors, command } = mediaBucketFromArgs(["--bucket", "b-1", "--cors-origin", "https://inbox.acme.example"]);
    assert.deepEqual(cors, [
      {
        origin: ["https://inbox.acme.example"],
        method: ["GET", "PUT"],
        responseHeader: ["Content-Type"],
        maxAgeSeconds: 3600,
      },
    ]);
    assert.match(command, /--cors-file=media-cors\.json$/);
  });

  it("refuses a missing bucket, a retention that is no whole number of days, and a plain-http origin", () => {
    assert.throws(() => mediaBucketFromArgs([]), UsageError);
    assert.throws(() => mediaBucketFromArgs(["--bucket", "b-1", "--retention-days", "0"]), /retention-days/);
    assert.throws(() => mediaBucketFromArgs(["--bucket", "b-1", "--retention-days", "1.5"]), /retention-days/);
    assert.throws(
      () => mediaBucketFromArgs(["--bucket", "b-1", "--cors-origin", "http://acme.example"]),
      /cors-origin/,
    );
  });
});
