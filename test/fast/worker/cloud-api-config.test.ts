import assert from "node:assert/strict";
import { ConfigError, parseWorkerConfig } from "../../../worker/src/config";

describe("the worker's Cloud API settings", () => {
  it("defaults to Meta's Graph API at a pinned version, and to Secret Manager", () => {
    assert.deepEqual(parseWorkerConfig({ GCLOUD_PROJECT: "p" }).cloudApi, {
      baseUrl: "https://graph.facebook.com",
      version: "v23.0",
      secretManagerRoot: "https://secretmanager.googleapis.com",
    });
  });

  it("refuses plain http off loopback for either API, since a token travels in it", () => {
    for (const name of ["WA_CLOUD_API_BASE_URL", "SECRET_MANAGER_API_ROOT"]) {
      assert.throws(
        () => parseWorkerConfig({ GCLOUD_PROJECT: "p", [name]: "http://api.example.com" }),
        (err: unknown) =>
          err instanceof ConfigError &&
          new RegExp(`${name}: must be https:// unless it is a loopback`).test(err.message),
      );
      const local = parseWorkerConfig({ GCLOUD_PROJECT: "p", [name]: "http://127.0.0.1:8123" }).cloudApi;
      assert.ok(Object.values(local).includes("http://127.0.0.1:8123"));
    }
  });

  it("refuses a Graph API version that is not vN.N", () => {
    assert.throws(() => parseWorkerConfig({ GCLOUD_PROJECT: "p", WA_CLOUD_API_VERSION: "23" }), /WA_CLOUD_API_VERSION/);
  });
});
