import assert from "node:assert/strict";
import { grantsSelfSigning } from "../../scripts/ops/mediaSigning";

describe("go-no-go's reading of the functions' service account policy", () => {
  const sa = "123-compute@developer.gserviceaccount.com";

  it("finds Token Creator granted to the account on itself", () => {
    const policy = {
      bindings: [
        { role: "roles/iam.serviceAccountUser", members: [`serviceAccount:${sa}`] },
        { role: "roles/iam.serviceAccountTokenCreator", members: ["user:ops@acme.example", `serviceAccount:${sa}`] },
      ],
    };
    assert.equal(grantsSelfSigning(policy, sa), true);
  });

  it("does not count the role granted to someone else, another role, or an empty policy", () => {
    assert.equal(
      grantsSelfSigning(
        { bindings: [{ role: "roles/iam.serviceAccountTokenCreator", members: ["user:ops@acme.example"] }] },
        sa,
      ),
      false,
    );
    assert.equal(
      grantsSelfSigning({ bindings: [{ role: "roles/editor", members: [`serviceAccount:${sa}`] }] }, sa),
      false,
    );
    assert.equal(grantsSelfSigning({}, sa), false);
  });
});
