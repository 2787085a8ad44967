import { sha256Hex } from "../shared/hash.ts";

/** The kinds of credential a bearer token can be; the prefix says which. */
export const TokenKind = { node: "hn", join: "hj" } as const;
export type TokenKind = keyof typeof TokenKind;

const PATTERN = /^(hn|hj)_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

function randomSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** A new credential: the token given out once, and the id and hash that are stored. */
export function mintToken(kind: TokenKind): { token: string; id: string; hash: string } {
  const id = randomHex(8);
  const secret = randomSecret();
  return { token: `${TokenKind[kind]}_${id}_${secret}`, id, hash: sha256Hex(secret) };
}

/** Splits a presented token into kind, id and the hash of its secret; null when malformed. */
export function readToken(token: string): { kind: TokenKind; id: string; hash: string } | null {
  const m = PATTERN.exec(token);
  if (!m || m[2] === undefined || m[3] === undefined) return null;
  return { kind: m[1] === "hn" ? "node" : "join", id: m[2], hash: sha256Hex(m[3]) };
}

/** Compares two strings in time that depends only on their lengths. */
export function timingSafeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}

/** The admin token's public id: a short hash, so audit logs never hold the secret. */
export function adminActor(secret: string): string {
  return `admin:${sha256Hex(secret).slice(0, 12)}`;
}
