import { setGlobalOptions } from "firebase-functions/options";
import { REGION } from "./config";

setGlobalOptions({ region: REGION, maxInstances: 10 });

export { whatsappProxySend } from "./whatsappProxySend";
export { whatsappProxySendTemplate } from "./whatsappProxySendTemplate";
export { whatsappProxyGetAccounts } from "./whatsappProxyGetAccounts";
export { whatsappProxyAddAccount } from "./whatsappProxyAddAccount";
export { whatsappProxyRegenerateQr } from "./whatsappProxyRegenerateQr";
export { whatsappProxyRemoveAccount } from "./whatsappProxyRemoveAccount";
export { whatsappProxyClaimThread } from "./whatsappProxyClaimThread";
export { whatsappProxySetThreadMembers } from "./whatsappProxySetThreadMembers";
export { whatsappProxySetAccountMembers } from "./whatsappProxySetAccountMembers";
export { whatsappProxyGetMediaUrl } from "./whatsappProxyGetMediaUrl";
export { whatsappProxyCreateUpload } from "./whatsappProxyCreateUpload";
export { whatsappAccountMembersSweep } from "./whatsappAccountMembersSweep";
export { whatsappCloudWebhook } from "./whatsappCloudWebhook";
export { whatsappAdminRunProbe } from "./whatsappAdminRunProbe";
export { whatsappAdminRunRollup } from "./whatsappAdminRunRollup";
export { whatsappAdminAcknowledgeIncident } from "./whatsappAdminAcknowledgeIncident";
export { whatsappAdminRequeue } from "./whatsappAdminRequeue";
export { longrunWatchdog } from "./longrunWatchdog";
export { longrunProbes } from "./longrunProbes";
export { longrunDailyRollup } from "./longrunDailyRollup";
export { longrunDeliveryCheck } from "./longrunDeliveryCheck";
export { longrunCapacity } from "./longrunCapacity";
