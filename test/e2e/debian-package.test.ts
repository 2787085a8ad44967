import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "halo-deb-test-"));
const version = (JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version;
const deb = join(dir, `halo-agent_${version}-1_amd64.deb`);

const run = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
};

/** dpkg against an empty system under `root`: what `dpkg --root` installs into. */
function dpkgRoot(): string {
  const root = join(dir, "root");
  mkdirSync(join(root, "var/lib/dpkg/info"), { recursive: true });
  mkdirSync(join(root, "var/lib/dpkg/updates"), { recursive: true });
  writeFileSync(join(root, "var/lib/dpkg/status"), "");
  return root;
}

// The maintainer scripts run outside the root (there is no shell inside it), with DPKG_ROOT
// set; libc6 is not "installed" in an empty root, so dependencies are not checked.
const dpkg = (root: string, ...args: string[]) =>
  run("dpkg", [
    `--root=${root}`,
    "--force-script-chrootless",
    "--force-depends",
    "--force-confold",
    "--log=/dev/null",
    ...args,
  ]);

beforeAll(async () => {
  await new Promise<string>((done, fail) =>
    execFile(
      resolve("node_modules/.bin/tsx"),
      ["scripts/build-agent.ts", "--target", "linux-x64", "--outdir", dir, "--deb"],
      { encoding: "utf8", timeout: 240_000 },
      (e, stdout, stderr) => (e ? fail(new Error(stderr)) : done(stdout)),
    ),
  );
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("npm run build:agent -- --deb", () => {
  it("builds a package dpkg-deb reads, with the checksum beside the binaries", () => {
    expect(existsSync(deb)).toBe(true);
    const info = run("dpkg-deb", ["--info", deb]).out;
    expect(info).toMatch(/Package: halo-agent/);
    expect(info).toMatch(new RegExp(`Version: ${version}-1`));
    expect(info).toMatch(/Architecture: amd64/);
    expect(info).toMatch(/Depends: libc6/);
    const files = run("dpkg-deb", ["--contents", deb]).out;
    for (const f of [
      "./usr/bin/halo-agent",
      "./lib/systemd/system/halo-agent.service",
      "./lib/systemd/system/halo-etcd-proxy.service",
      "./etc/halo/agent.yaml",
      "./usr/share/doc/halo-agent/copyright",
    ])
      expect(files).toContain(f);
    expect(run("dpkg-deb", ["--field", deb, "Conffiles"]).code).toBe(0);
    expect(run("dpkg-deb", ["-I", deb, "conffiles"]).out.trim()).toBe("/etc/halo/agent.yaml");
    const sums = readFileSync(join(dir, "SHA256SUMS"), "utf8");
    expect(sums).toMatch(new RegExp(`^[0-9a-f]{64}  halo-agent_${version}-1_amd64\\.deb$`, "m"));
    // The packaged unit runs the packaged binary.
    const x = join(dir, "x");
    expect(run("dpkg-deb", ["-x", deb, x]).code).toBe(0);
    const unit = readFileSync(join(x, "lib/systemd/system/halo-agent.service"), "utf8");
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/halo-agent run /m);
  });

  it("passes Debian's lintian with no error or warning", () => {
    const r = run("lintian", ["--fail-on", "error,warning", deb]);
    expect(r.out.replace(/running with root privileges is not recommended!\n?/, "")).toBe("");
    expect(r.code).toBe(0);
  }, 120_000);

  it("installs under another root, keeps an edited conffile, starts nothing, and purges cleanly", () => {
    const root = dpkgRoot();
    const first = dpkg(root, "--install", deb);
    expect(first.out).not.toMatch(/error/i);
    expect(first.code).toBe(0);
    const bin = join(root, "usr/bin/halo-agent");
    expect(run(bin, ["--version"]).out.trim()).toBe(`halo-agent ${version}`);
    expect(run("dpkg", [`--root=${root}`, "-s", "halo-agent"]).out).toMatch(
      /Status: install ok installed/,
    );
    // Nothing started: the agent has not joined, so it has no state at all.
    expect(existsSync(join(root, "var/lib/halo"))).toBe(false);

    // An operator's edit of /etc/halo/agent.yaml survives a reinstall.
    const conf = join(root, "etc/halo/agent.yaml");
    writeFileSync(conf, `${readFileSync(conf, "utf8")}\n# edited by the operator\n`);
    expect(dpkg(root, "--install", deb).code).toBe(0);
    expect(readFileSync(conf, "utf8")).toContain("# edited by the operator");

    // remove keeps the conffile; purge takes it and the agent's state.
    mkdirSync(join(root, "var/lib/halo"), { recursive: true });
    writeFileSync(join(root, "var/lib/halo/credential.json"), "{}");
    expect(dpkg(root, "--remove", "halo-agent").code).toBe(0);
    expect(existsSync(bin)).toBe(false);
    expect(existsSync(conf)).toBe(true);
    expect(dpkg(root, "--purge", "halo-agent").code).toBe(0);
    expect(existsSync(conf)).toBe(false);
    expect(existsSync(join(root, "var/lib/halo"))).toBe(false);
  });
});
