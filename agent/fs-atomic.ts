import {
  chmodSync,
  closeSync,
  constants,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";

/** Flushes a directory's entries (a rename is durable only after this). */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a file's whole content and flushes it before returning. With `exclusive` the file
 * must not exist and is never reached through a symlink (O_EXCL | O_NOFOLLOW).
 */
export function writeSynced(path: string, content: string, mode = 0o644, exclusive = false): void {
  mkdirSync(dirname(path), { recursive: true });
  const flags = exclusive
    ? constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW
    : "w";
  const fd = openSync(path, flags, mode);
  try {
    const buf = Buffer.from(content, "utf8");
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Replaces a file atomically: stage next to it, fsync, rename over it, fsync the directory. */
export function writeAtomic(path: string, content: string, mode = 0o644): void {
  const tmp = `${path}.tmp-${process.pid}`;
  // A leftover of a crashed run goes first; what is created is new, and never a link's target.
  try {
    unlinkSync(tmp);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  writeSynced(tmp, content, mode, true);
  renameSync(tmp, path);
  fsyncDir(dirname(path));
}

/**
 * The agent's state directory (credential, journal, applied bundle): created 0700; an existing
 * one that others may write is refused (whoever writes the journal picks what recovery does).
 * Returns the reason to refuse, or null.
 */
export function ensurePrivateDir(dir: string): string | null {
  try {
    const st = statSync(dir);
    if (!st.isDirectory()) return `${dir} is not a directory`;
    if ((st.mode & 0o022) !== 0)
      return `${dir} is writable by others (mode ${(st.mode & 0o777).toString(8)}): chmod 700 ${dir}`;
    return null;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  return null;
}

/** A file's content, or null when it does not exist. */
export function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}
