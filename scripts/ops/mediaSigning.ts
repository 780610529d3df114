import { applicationDefault } from "firebase-admin/app";
import type { MediaSigningCheck } from "@wa-gateway/core/longrun";

const IAM = "https://iam.googleapis.com/v1";
const IAM_CREDENTIALS = "https://iamcredentials.googleapis.com/v1";
const TOKEN_CREATOR = "roles/iam.serviceAccountTokenCreator";

/** Whether a service account's IAM policy lets it sign as itself (the functions sign media URLs so). */
export function grantsSelfSigning(
  policy: { bindings?: { role: string; members?: string[] }[] },
  serviceAccount: string,
) {
  return (policy.bindings ?? []).some(
    (b) => b.role === TOKEN_CREATOR && (b.members ?? []).includes(`serviceAccount:${serviceAccount}`),
  );
}

/**
 * Signs one blob as the functions' service account through the IAM Credentials API (the call
 * behind every signed media URL the functions hand out), with the operator's credentials, and
 * reads whether that account holds Token Creator on itself (what lets the functions make that
 * call as themselves). Needs the operator to be allowed to do both (project Owner is).
 */
export async function checkMediaSigning(serviceAccount: string): Promise<MediaSigningCheck> {
  const { access_token: token } = await applicationDefault().getAccessToken();
  const call = async (url: string, body: object) => {
    const response = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const answer = (await response.json().catch(() => ({}))) as Record<string, unknown> & {
      error?: { message?: string };
    };
    return { ok: response.ok, status: response.status, answer };
  };
  const sa = encodeURIComponent(serviceAccount);
  const signed = await call(`${IAM_CREDENTIALS}/projects/-/serviceAccounts/${sa}:signBlob`, {
    payload: Buffer.from("go-no-go: media URL signing").toString("base64"),
  });
  if (!signed.ok) {
    return {
      kind: "refused",
      serviceAccount,
      reason: `HTTP ${signed.status}: ${signed.answer.error?.message ?? "no reason"}`,
    };
  }
  const policy = await call(`${IAM}/projects/-/serviceAccounts/${sa}:getIamPolicy`, {});
  if (!policy.ok) {
    return { kind: "refused", serviceAccount, reason: `its IAM policy is unreadable (HTTP ${policy.status})` };
  }
  return grantsSelfSigning(policy.answer as Parameters<typeof grantsSelfSigning>[0], serviceAccount)
    ? { kind: "signed", serviceAccount }
    : { kind: "no_self_grant", serviceAccount };
}
