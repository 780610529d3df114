import { stopAllChildren } from "../lib/children";
import { benchBaileys, benchInbound } from "./baileys";
import { benchDelivery } from "./delivery";
import { benchFleet } from "./fleet";
import { benchMedia } from "./media";
import { benchMonitoring } from "./monitoring";
import { benchProxies } from "./proxies";
import { benchSendBurst } from "./sendBurst";

/** `npm run bench [part...]`: prints figures against the local emulators; asserts nothing. */
const PARTS: Record<string, () => Promise<void>> = {
  proxies: benchProxies,
  delivery: benchDelivery,
  monitoring: benchMonitoring,
  baileys: benchBaileys,
  inbound: benchInbound,
  "send-burst": benchSendBurst,
  fleet: benchFleet,
  media: benchMedia,
};

async function main() {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((p) => !(p in PARTS));
  if (unknown.length)
    throw new Error(`unknown bench part(s): ${unknown.join(", ")}; parts: ${Object.keys(PARTS).join(", ")}`);
  for (const name of wanted.length ? wanted : Object.keys(PARTS)) await PARTS[name]!();
}

main()
  .catch((err: Error) => {
    console.error(`bench failed: ${err.message}`);
    process.exitCode = 1;
  })
  .finally(() => stopAllChildren());
