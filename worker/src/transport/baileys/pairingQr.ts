/** The children WhatsApp Web accepts in `<notification type="companion_reg_refresh">`. */
export const REG_REFRESH_CHILDREN = new Set(["companion_reg_refresh", "pair-device-rotate-qr"]);

/** A pairing QR (`https://wa.me/settings/linked_devices#ref,noise,identity,adv,platform`) with another ADV secret. */
export function qrWithAdvSecret(qr: string, advSecretB64: string): string {
  const hash = qr.indexOf("#");
  const fields = qr.slice(hash + 1).split(",");
  if (hash < 0 || fields.length < 5) return qr;
  fields[3] = advSecretB64;
  return `${qr.slice(0, hash + 1)}${fields.join(",")}`;
}
