/**
 * The server half of WhatsApp's Noise XX handshake and framing, mirroring Baileys'
 * `Utils/noise-handler.ts` (the client half) step for step, so the unmodified Baileys socket
 * completes its handshake against the fake edge. Frames carry a 3-byte big-endian length;
 * the client's first message is prefixed by the `WA` intro header.
 */
import type { proto as Proto } from "@whiskeysockets/baileys";
import type { Baileys } from "../../../worker/src/transport/baileys/module.js";

type KeyPair = { private: Uint8Array; public: Uint8Array };

/** The edge's long-term identity: its static key and a certificate chain naming it. */
export interface EdgeCertificate {
  staticKey: KeyPair;
  chain: Uint8Array;
}

/**
 * A chain that passes Baileys' checks: the leaf certifies the static key, signed by an
 * intermediate whose issuer serial is WhatsApp's root serial (0). The root key is our own:
 * Baileys rc14 does not actually reject a bad root signature (the issue says why).
 */
export function makeEdgeCertificate({ Curve, proto }: Baileys): EdgeCertificate {
  const root = Curve.generateKeyPair();
  const intermediate = Curve.generateKeyPair();
  const staticKey = Curve.generateKeyPair();
  const details = proto.CertChain.NoiseCertificate.Details;
  const intermediateDetails = details.encode({ serial: 1, issuerSerial: 0, key: intermediate.public }).finish();
  const leafDetails = details.encode({ serial: 2, issuerSerial: 1, key: staticKey.public }).finish();
  const chain = proto.CertChain.encode({
    intermediate: { details: intermediateDetails, signature: Curve.sign(root.private, intermediateDetails) },
    leaf: { details: leafDetails, signature: Curve.sign(intermediate.private, leafDetails) },
  }).finish();
  return { staticKey, chain };
}

const IV_LENGTH = 12;

function iv(counter: number): Uint8Array {
  const buffer = new Uint8Array(IV_LENGTH);
  new DataView(buffer.buffer).setUint32(8, counter);
  return buffer;
}

/** One connection's Noise state, on the responder side. */
export class ServerNoise {
  private hash: Buffer;
  private salt: Buffer;
  private key: Buffer;
  private counter = 0;
  private transport: { enc: Buffer; dec: Buffer; read: number; write: number } | undefined;
  private inBytes = Buffer.alloc(0);
  private sawIntro = false;

  constructor(
    private readonly B: Baileys,
    private readonly certificate: EdgeCertificate,
  ) {
    this.hash = this.salt = this.key = Buffer.from(B.NOISE_MODE);
    this.authenticate(B.NOISE_WA_HEADER);
  }

  /** Splits received bytes into frames (the intro header is dropped), decrypting once in transport. */
  *frames(data: Buffer): Generator<Buffer> {
    this.inBytes = Buffer.concat([this.inBytes, data]);
    if (!this.sawIntro) {
      if (this.inBytes.length < this.B.NOISE_WA_HEADER.length) return;
      this.inBytes = this.inBytes.subarray(this.B.NOISE_WA_HEADER.length);
      this.sawIntro = true;
    }
    while (this.inBytes.length >= 3) {
      const size = (this.inBytes[0]! << 16) | (this.inBytes[1]! << 8) | this.inBytes[2]!;
      if (this.inBytes.length < size + 3) return;
      const frame = this.inBytes.subarray(3, size + 3);
      this.inBytes = this.inBytes.subarray(size + 3);
      yield this.transport ? this.decryptTransport(frame) : Buffer.from(frame);
    }
  }

  /** Answers the client hello: our ephemeral, our static key and the certificate chain, encrypted. */
  serverHello(clientHello: Uint8Array): { reply: Buffer; ephemeral: KeyPair } {
    const { Curve, proto } = this.B;
    const { clientHello: hello } = proto.HandshakeMessage.decode(clientHello);
    if (!hello?.ephemeral) throw new Error("client hello without an ephemeral key");
    const clientEphemeral = hello.ephemeral;
    this.authenticate(clientEphemeral);
    const ephemeral = Curve.generateKeyPair();
    this.authenticate(ephemeral.public);
    this.mixIntoKey(Curve.sharedKey(ephemeral.private, clientEphemeral));
    const encryptedStatic = this.encrypt(this.certificate.staticKey.public);
    this.mixIntoKey(Curve.sharedKey(this.certificate.staticKey.private, clientEphemeral));
    const payload = this.encrypt(this.certificate.chain);
    const reply = proto.HandshakeMessage.encode({
      serverHello: { ephemeral: ephemeral.public, static: encryptedStatic, payload },
    }).finish();
    return { reply: this.frame(reply), ephemeral };
  }

  /** Reads the client finish: the client's noise key and its login or registration payload. */
  clientFinish(message: Uint8Array, ephemeral: KeyPair): Proto.ClientPayload {
    const { Curve, proto } = this.B;
    const { clientFinish } = proto.HandshakeMessage.decode(message);
    if (!clientFinish?.static || !clientFinish.payload) throw new Error("client finish without its keys");
    const clientNoiseKey = this.decrypt(clientFinish.static);
    this.mixIntoKey(Curve.sharedKey(ephemeral.private, clientNoiseKey));
    const payload = proto.ClientPayload.decode(this.decrypt(clientFinish.payload));
    const [write, read] = this.split(new Uint8Array(0));
    // The client encrypts with `write` and decrypts with `read`; we do the reverse.
    this.transport = { enc: read, dec: write, read: 0, write: 0 };
    return payload;
  }

  /** Frames (and, once in transport, encrypts) an outgoing message. */
  frame(data: Uint8Array): Buffer {
    const body = this.transport
      ? this.B.aesEncryptGCM(data, this.transport.enc, iv(this.transport.write++), Buffer.alloc(0))
      : Buffer.from(data);
    const header = Buffer.from([(body.length >>> 16) & 0xff, (body.length >>> 8) & 0xff, body.length & 0xff]);
    return Buffer.concat([header, body]);
  }

  private decryptTransport(frame: Buffer): Buffer {
    const transport = this.transport!;
    return this.B.aesDecryptGCM(frame, transport.dec, iv(transport.read++), Buffer.alloc(0));
  }

  private authenticate(data: Uint8Array): void {
    this.hash = this.B.sha256(Buffer.concat([this.hash, data]));
  }

  private encrypt(plaintext: Uint8Array): Buffer {
    const result = this.B.aesEncryptGCM(plaintext, this.key, iv(this.counter++), this.hash);
    this.authenticate(result);
    return result;
  }

  private decrypt(ciphertext: Uint8Array): Buffer {
    const result = this.B.aesDecryptGCM(ciphertext, this.key, iv(this.counter++), this.hash);
    this.authenticate(ciphertext);
    return result;
  }

  private split(data: Uint8Array): [Buffer, Buffer] {
    const key = Buffer.from(this.B.hkdf(Buffer.from(data), 64, { salt: this.salt, info: "" }));
    return [key.subarray(0, 32), key.subarray(32)];
  }

  private mixIntoKey(data: Uint8Array): void {
    const [write, read] = this.split(data);
    this.salt = write;
    this.key = read;
    this.counter = 0;
  }
}
