import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect, it } from "vitest";

/** ELF e_machine values: what a node's kernel checks before it runs the file. */
const MACHINE = { x64: 0x3e, arm64: 0xb7 };

it("npm run build:agent builds the agent for other platforms, prints sizes and writes checksums", async () => {
  const out = mkdtempSync(join(tmpdir(), "halo-build-"));
  const printed = await new Promise<string>((done, fail) =>
    execFile(
      resolve("node_modules/.bin/tsx"),
      ["scripts/build-agent.ts", "--target", "linux-arm64-musl", "--outdir", out],
      { encoding: "utf8", timeout: 240_000 },
      (e, stdout, stderr) => (e ? fail(new Error(stderr)) : done(stdout)),
    ),
  );
  expect(printed).toMatch(/halo-agent-linux-arm64-musl +\d+\.\d MB/);
  const bin = readFileSync(join(out, "halo-agent-linux-arm64-musl"));
  expect(bin.subarray(0, 4).toString("latin1")).toBe("\x7fELF");
  expect(bin.readUInt16LE(18)).toBe(MACHINE.arm64);
  // The interpreter named in the file is musl's: it runs on Alpine, not on glibc-only hosts.
  expect(bin.includes("ld-musl-aarch64.so.1")).toBe(true);
  const sum = createHash("sha256").update(bin).digest("hex");
  expect(readFileSync(join(out, "SHA256SUMS"), "utf8")).toBe(
    `${sum}  halo-agent-linux-arm64-musl\n`,
  );
  rmSync(out, { recursive: true, force: true });
}, 300_000);

it("refuses a platform Bun does not build for", async () => {
  const r = await new Promise<{ code: number | null; err: string }>((done) =>
    execFile(
      resolve("node_modules/.bin/tsx"),
      ["scripts/build-agent.ts", "--target", "windows-x64"],
      { encoding: "utf8" },
      (e, _o, stderr) => done({ code: e && typeof e.code === "number" ? e.code : 0, err: stderr }),
    ),
  );
  expect(r.code).toBe(2);
  expect(r.err).toContain(
    "--target takes one of linux-x64, linux-arm64, linux-x64-musl, linux-arm64-musl",
  );
});
