import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A random id of `len` base-62 characters: one subject token, no `.`, `*` or `>`. */
export function randomId(len = 16): string {
  const bytes = randomBytes(len);
  let s = "";
  for (let i = 0; i < len; i++) s += ALPHABET[(bytes[i] as number) % 62];
  return s;
}
