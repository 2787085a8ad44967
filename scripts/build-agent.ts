/**
 * `npm run build:agent [-- --target NAME ...] [--outdir DIR] [--deb]`: the agent as one file per
 * platform, Bun inside, into dist/, with its size printed and a SHA256SUMS file beside them
 * (`sha256sum -c SHA256SUMS`). `--deb` also packages each glibc build as a Debian package
 * (needs dpkg-deb). Cross builds fetch the target's Bun runtime from the npm registry once.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, relative, resolve } from "node:path";
import { buildDeb, DEB_ARCH } from "./deb.ts";

/** Linux, x86-64 and arm64, glibc and musl: every Linux target Bun compiles for. */
export const TARGETS = {
  "linux-x64": "bun-linux-x64",
  "linux-arm64": "bun-linux-arm64",
  "linux-x64-musl": "bun-linux-x64-musl",
  "linux-arm64-musl": "bun-linux-arm64-musl",
} as const;
type Name = keyof typeof TARGETS;

const BUN = resolve("node_modules/.bin/bun");

function parse(argv: string[]): { names: Name[]; dist: string; deb: boolean } {
  const picked: Name[] = [];
  let dist = resolve("dist");
  let deb = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--deb") {
      deb = true;
      continue;
    }
    if (argv[i] === "--outdir") {
      dist = resolve(argv[++i] ?? "dist");
      continue;
    }
    if (argv[i] !== "--target") throw new Error(`unknown argument '${argv[i]}'`);
    const name = argv[++i] ?? "";
    if (!(name in TARGETS))
      throw new Error(`--target takes one of ${Object.keys(TARGETS).join(", ")}; got '${name}'`);
    picked.push(name as Name);
  }
  const names = picked.length > 0 ? picked : (Object.keys(TARGETS) as Name[]);
  if (deb && !names.some((n) => n in DEB_ARCH))
    throw new Error(`--deb packages ${Object.keys(DEB_ARCH).join(" or ")}: pick one with --target`);
  return { names, dist, deb };
}

function main(): number {
  let names: Name[];
  let dist: string;
  let deb: boolean;
  try {
    ({ names, dist, deb } = parse(process.argv.slice(2)));
  } catch (e) {
    console.error(`build:agent: ${(e as Error).message}`);
    return 2;
  }
  mkdirSync(dist, { recursive: true });
  const sums: string[] = [];
  for (const name of names) {
    const file = `halo-agent-${name}`;
    const r = spawnSync(
      BUN,
      [
        "build",
        "agent/main.ts",
        "--compile",
        "--minify",
        "--bytecode",
        `--target=${TARGETS[name]}`,
        "--outfile",
        `${dist}/${file}`,
      ],
      { stdio: ["ignore", "ignore", "inherit"] },
    );
    if (r.status !== 0) {
      console.error(`build:agent: ${name} failed (bun exit ${r.status})`);
      return 1;
    }
    const bytes = readFileSync(`${dist}/${file}`);
    sums.push(`${createHash("sha256").update(bytes).digest("hex")}  ${file}`);
    const mb = (statSync(`${dist}/${file}`).size / 1e6).toFixed(1);
    console.log(`${relative(process.cwd(), `${dist}/${file}`).padEnd(34)} ${mb.padStart(6)} MB`);
  }
  if (deb) {
    const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
    for (const name of names.filter((n) => n in DEB_ARCH)) {
      let out: string;
      try {
        out = buildDeb({
          binary: `${dist}/halo-agent-${name}`,
          arch: DEB_ARCH[name] ?? "",
          version,
          dist,
        });
      } catch (e) {
        console.error(`build:agent: ${(e as Error).message}`);
        return 1;
      }
      const file = basename(out);
      sums.push(`${createHash("sha256").update(readFileSync(out)).digest("hex")}  ${file}`);
      const mb = (statSync(out).size / 1e6).toFixed(1);
      console.log(`${relative(process.cwd(), out).padEnd(34)} ${mb.padStart(6)} MB`);
    }
  }
  writeFileSync(`${dist}/SHA256SUMS`, sums.join("\n") + "\n");
  console.log(
    `checksums in ${relative(process.cwd(), dist)}/SHA256SUMS (verify: sha256sum -c --ignore-missing SHA256SUMS)`,
  );
  return 0;
}

process.exit(main());
