/**
 * Topology versions are stored gzip-compressed (`gz:` + base64): an inventory is repetitive
 * text, and every join stores a version. Text without the prefix is read as it is (versions
 * stored before compression).
 */
const PREFIX = "gz:";

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream) {
  const out = new Response(new Blob([bytes]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000)
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

const fromBase64 = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

export async function compressText(text: string): Promise<string> {
  const gz = await pipe(new TextEncoder().encode(text), new CompressionStream("gzip"));
  return PREFIX + toBase64(gz);
}

/** Compressed only when it pays: short text stays as it is. */
export const compressLong = (text: string): Promise<string> =>
  text.length > 512 ? compressText(text) : Promise.resolve(text);

export async function decompressText(stored: string): Promise<string> {
  if (!stored.startsWith(PREFIX)) return stored;
  const raw = await pipe(fromBase64(stored.slice(PREFIX.length)), new DecompressionStream("gzip"));
  return new TextDecoder().decode(raw);
}
