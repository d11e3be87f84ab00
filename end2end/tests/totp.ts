// RFC 6238 TOTP, computed the way an authenticator app does, for the tests.
import { createHmac } from "node:crypto";

function base32Decode(text: string): Buffer {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of text.replace(/=+$/, "").toUpperCase()) {
    const index = alphabet.indexOf(ch);
    if (index < 0) throw new Error(`not base32: ${ch}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export function totp(secret: string, unixSeconds = Date.now() / 1000): string {
  const counter = Math.floor(unixSeconds / 30);
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const digest = createHmac("sha1", base32Decode(secret)).update(message).digest();
  const offset = digest[digest.length - 1] & 0x0f;
  const code = (digest.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return code.toString().padStart(6, "0");
}

/** Waits until at least `seconds` remain in the current 30-second step. */
export async function awaitFreshStep(seconds = 5): Promise<void> {
  const remaining = 30 - ((Date.now() / 1000) % 30);
  if (remaining < seconds) await new Promise((r) => setTimeout(r, remaining * 1000 + 200));
}

/** Waits for the next 30-second step to begin. */
export async function awaitNextStep(): Promise<void> {
  const remaining = 30 - ((Date.now() / 1000) % 30);
  await new Promise((r) => setTimeout(r, remaining * 1000 + 300));
}
