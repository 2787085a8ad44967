import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fsyncSync,
  linkSync,
  lstatSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from "node:fs";
import { relative, isAbsolute } from "node:path";
import { withRoot } from "./plan.ts";

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (e) {
    if (errno(e) === "ENOENT") return null;
    throw e;
  }
}

export function unlinkIfThere(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if (errno(e) !== "ENOENT") throw e;
  }
}

function writeAll(fd: number, content: string): void {
  const buf = Buffer.from(content, "utf8");
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
  fsyncSync(fd);
}

/**
 * Where a managed path really is: a symlink is followed to its target (that is the file to
 * replace). Under `--root`, the target must stay inside the root.
 */
export function resolveTarget(root: string, path: string): string {
  const p = withRoot(root, path);
  let isLink = false;
  try {
    isLink = lstatSync(p).isSymbolicLink();
  } catch (e) {
    if (errno(e) !== "ENOENT") throw e;
  }
  if (!isLink) return p;
  const real = realpathSync(p);
  if (root !== "/" && root !== "") {
    const rel = relative(realpathSync(root), real);
    if (rel.startsWith("..") || isAbsolute(rel))
      throw new Error(`${p} links to ${real}, outside the root ${root}`);
  }
  return real;
}

/**
 * Writes a staged file: created exclusively and never through a symlink (a file or link
 * already at the staging name is refused), with the mode and owner of the file it will
 * replace, and flushed.
 */
export function stageFile(staged: string, content: string, replaces: string): void {
  const like = statOrNull(replaces);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  let fd: number;
  try {
    fd = openSync(staged, flags, like ? like.mode & 0o7777 : 0o644);
  } catch (e) {
    if (errno(e) === "EEXIST")
      throw new Error(
        `${staged} already exists (a leftover or a planted link): refusing to write through it`,
      );
    throw e;
  }
  try {
    if (like) {
      fchmodSync(fd, like.mode & 0o7777);
      try {
        fchownSync(fd, like.uid, like.gid);
      } catch (e) {
        // Only root may give a file away; an unprivileged agent keeps its own ownership.
        if (errno(e) !== "EPERM") throw e;
      }
    }
    writeAll(fd, content);
  } finally {
    closeSync(fd);
  }
}

/** Keeps the current file as the backup: a hard link, or a copy where a link cannot be made. */
export function backupFile(target: string, backup: string): void {
  unlinkIfThere(backup);
  try {
    linkSync(target, backup);
  } catch (e) {
    // A bind-mounted file (containers mount /etc/hosts) cannot be linked from its directory.
    if (!["EXDEV", "EPERM", "EBUSY", "EMLINK"].includes(errno(e) ?? "")) throw e;
    stageFile(backup, readFileSync(target, "utf8"), target);
  }
}

/**
 * Puts `from` in place of `target`: a rename, or for a bind-mounted target (which cannot be
 * renamed over) a rewrite in place. `from` is gone afterwards either way.
 */
export function replaceFile(from: string, target: string): "renamed" | "in-place" {
  try {
    renameSync(from, target);
    return "renamed";
  } catch (e) {
    if (!["EBUSY", "EXDEV"].includes(errno(e) ?? "")) throw e;
  }
  const fd = openSync(target, constants.O_WRONLY | constants.O_TRUNC | constants.O_NOFOLLOW);
  try {
    writeAll(fd, readFileSync(from, "utf8"));
  } finally {
    closeSync(fd);
  }
  unlinkSync(from);
  return "in-place";
}
