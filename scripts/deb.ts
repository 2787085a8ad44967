/**
 * The agent as a Debian package: `npm run build:agent -- --deb` builds halo-agent_VERSION_ARCH.deb
 * beside each glibc binary. The binary goes to /usr/bin, the units to /lib/systemd/system, the
 * sample agent config to /etc/halo/agent.yaml as a conffile (an operator's edits survive
 * upgrades). The postinst reloads systemd and starts nothing: the unit waits for
 * `halo-agent join` (it needs /var/lib/halo/credential.json), and a joined node is restarted on
 * upgrade only if it was running.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";

/** Debian architecture names of the glibc targets (musl builds are not for Debian). */
export const DEB_ARCH: Record<string, string> = { "linux-x64": "amd64", "linux-arm64": "arm64" };

export const PACKAGE = "halo-agent";
const MAINTAINER = "halo maintainers <maintainers@halo.dev>";

/** The Debian version of a package.json version: upstream plus a Debian revision. */
export function debVersion(version: string): string {
  return `${version}-1`;
}

const POSTINST = `#!/bin/sh
set -e
# Reload systemd so it sees the units; start nothing. The agent runs once the node has joined
# (halo-agent join, then systemctl enable --now halo-agent). On an upgrade of a joined node, a
# running agent is restarted onto the new binary.
if [ "$1" = "configure" ] && [ -z "$DPKG_ROOT" ] && [ -d /run/systemd/system ]; then
	systemctl --system daemon-reload >/dev/null || true
	if [ -n "$2" ] && [ -e /var/lib/halo/credential.json ]; then
		deb-systemd-invoke try-restart halo-agent.service >/dev/null || true
	fi
fi
exit 0
`;

const PRERM = `#!/bin/sh
set -e
if [ "$1" = "remove" ] && [ -z "$DPKG_ROOT" ] && [ -d /run/systemd/system ]; then
	deb-systemd-invoke stop halo-agent.service halo-etcd-proxy.service >/dev/null || true
fi
exit 0
`;

const POSTRM = `#!/bin/sh
set -e
# purge: the node's credential and saved bundle go too (run halo-agent leave before, so the
# control plane forgets the node).
if [ "$1" = "purge" ]; then
	rm -rf "$DPKG_ROOT/var/lib/halo"
fi
if [ -z "$DPKG_ROOT" ] && [ -d /run/systemd/system ]; then
	systemctl --system daemon-reload >/dev/null || true
fi
exit 0
`;

const COPYRIGHT = (
  year: number,
) => `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: halo
Source: https://halo.dev

Files: *
Copyright: ${year} halo maintainers
License: MIT
 Permission is hereby granted, free of charge, to any person obtaining a copy of this software
 and associated documentation files (the "Software"), to deal in the Software without
 restriction, including without limitation the rights to use, copy, modify, merge, publish,
 distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
 Software is furnished to do so, subject to the following conditions:
 .
 The above copyright notice and this permission notice shall be included in all copies or
 substantial portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING
 BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
 NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
 DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
 OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
`;

const MANPAGE = (version: string) => `.TH HALO-AGENT 8 "" "halo ${version}" "System Administration"
.SH NAME
halo-agent \\- keeps this node's Kubernetes HA endpoints and proxy config in step with halo
.SH SYNOPSIS
.B halo-agent join
.B \\-\\-server
.I URL
.B \\-\\-token-file
.I FILE
.br
.B halo-agent run
|
.B status
|
.B doctor
|
.B leave
.SH DESCRIPTION
The agent registers the node with a halo control plane, pulls its role's config over a
WebSocket, rewrites /etc/hosts and the proxy config (nginx, HAProxy, etcd proxy) transactionally,
reloads, and reports back. Every path and command it uses comes from
.IR /etc/halo/agent.yaml ,
never from the server.
.SH FILES
.TP
.I /etc/halo/agent.yaml
what each artifact kind means on this node
.TP
.I /var/lib/halo
the node's credential and last applied bundle
.SH SEE ALSO
.BR systemctl (1)
`;

/**
 * Lintian tags that a Bun single-file executable raises by its nature, each with the reason:
 * nothing else is overridden.
 */
const OVERRIDES = `# The binary is Bun's runtime with the agent's code appended: stripping it would cut the
# appended code off, and its build flags are Bun's.
${PACKAGE}: unstripped-binary-or-object [usr/bin/halo-agent]
${PACKAGE}: hardening-no-pie [usr/bin/halo-agent]
${PACKAGE}: hardening-no-relro [usr/bin/halo-agent]
${PACKAGE}: hardening-no-bindnow [usr/bin/halo-agent]
# Bun's runtime carries its own copy of the library (it decodes images).
${PACKAGE}: embedded-library libjpeg [usr/bin/halo-agent]
# The package is built by halo's own build, not uploaded to Debian's archive: no ITP bug.
${PACKAGE}: initial-upload-closes-no-bugs [usr/share/doc/halo-agent/changelog.Debian.gz:1]
`;

function write(root: string, path: string, content: string | Buffer, mode = 0o644): void {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
  writeFileSync(file, content);
  chmodSync(file, mode);
}

/** The packaged unit: the binary is /usr/bin's, the docs the package's own. */
function packagedUnit(text: string): string {
  return text
    .replaceAll("/usr/local/bin/halo-agent", "/usr/bin/halo-agent")
    .replaceAll("file:/usr/local/share/doc/halo/README.md", `man:halo-agent(8)`);
}

/** Builds the .deb for one binary into `dist`; returns its path. Throws with dpkg-deb's words. */
export function buildDeb(opts: {
  binary: string;
  arch: string;
  version: string;
  dist: string;
}): string {
  const { binary, arch, version, dist } = opts;
  const deb = debVersion(version);
  const root = mkdtempSync(join(tmpdir(), "halo-deb-"));
  chmodSync(root, 0o755);
  try {
    const doc = `usr/share/doc/${PACKAGE}`;
    mkdirSync(join(root, "usr/bin"), { recursive: true, mode: 0o755 });
    copyFileSync(binary, join(root, "usr/bin/halo-agent"));
    chmodSync(join(root, "usr/bin/halo-agent"), 0o755);
    for (const unit of ["halo-agent.service", "halo-etcd-proxy.service"])
      write(
        root,
        `lib/systemd/system/${unit}`,
        packagedUnit(readFileSync(`agent/systemd/${unit}`, "utf8")),
      );
    write(root, "etc/halo/agent.yaml", readFileSync("agent/systemd/agent.yaml"));
    write(root, `${doc}/copyright`, COPYRIGHT(new Date().getUTCFullYear()));
    const date = new Date().toUTCString().replace("GMT", "+0000");
    const changelog = `${PACKAGE} (${deb}) unstable; urgency=medium\n\n  * Release ${version}.\n\n -- ${MAINTAINER}  ${date}\n`;
    write(root, `${doc}/changelog.Debian.gz`, gzipSync(changelog, { level: 9 }));
    write(root, "usr/share/man/man8/halo-agent.8.gz", gzipSync(MANPAGE(version), { level: 9 }));
    write(root, `usr/share/lintian/overrides/${PACKAGE}`, OVERRIDES);
    const installedKb = Math.ceil(du(root) / 1024);
    write(
      root,
      "DEBIAN/control",
      [
        `Package: ${PACKAGE}`,
        `Version: ${deb}`,
        `Architecture: ${arch}`,
        `Maintainer: ${MAINTAINER}`,
        `Installed-Size: ${installedKb}`,
        "Depends: libc6 (>= 2.27)",
        "Suggests: nginx, libnginx-mod-stream, haproxy, etcd-server",
        "Section: admin",
        "Priority: optional",
        "Homepage: https://halo.dev",
        "Description: keeps Kubernetes HA endpoints correct on every node, live",
        " The halo agent registers a node with a halo control plane, pulls the node's",
        " role-specific config over a WebSocket, rewrites /etc/hosts and the localhost",
        " apiserver load balancer (nginx, HAProxy, etcd proxy) transactionally, reloads,",
        " and reports back. Every path and command comes from /etc/halo/agent.yaml.",
        "",
      ].join("\n"),
    );
    write(root, "DEBIAN/conffiles", "/etc/halo/agent.yaml\n");
    write(root, "DEBIAN/md5sums", md5sums(root));
    write(root, "DEBIAN/postinst", POSTINST, 0o755);
    write(root, "DEBIAN/prerm", PRERM, 0o755);
    write(root, "DEBIAN/postrm", POSTRM, 0o755);
    const out = join(dist, `${PACKAGE}_${deb}_${arch}.deb`);
    // gzip -3: over a 110 MB binary (measured on two cores) xz takes 31 s for 40 MB, gzip -9
    // 10 s for 53 MB, gzip -3 2.6 s for 55 MB. zstd is faster still, but lintian (and dpkg
    // before 1.21.18) refuse it.
    const r = spawnSync("dpkg-deb", ["--root-owner-group", "-Zgzip", "-z3", "--build", root, out], {
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`dpkg-deb: ${(r.stderr || r.stdout).trim()}`);
    return out;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** md5sum of every file but DEBIAN/ and conffiles, as dh_md5sums writes it. */
function md5sums(root: string): string {
  const files = spawnSync(
    "find",
    [".", "-type", "f", "!", "-path", "./DEBIAN/*", "!", "-path", "./etc/*"],
    { cwd: root, encoding: "utf8" },
  )
    .stdout.split("\n")
    .filter(Boolean)
    .map((f) => f.slice(2))
    .sort();
  return files
    .map(
      (f) =>
        `${createHash("md5")
          .update(readFileSync(join(root, f)))
          .digest("hex")}  ${f}\n`,
    )
    .join("");
}

function du(dir: string): number {
  const r = spawnSync("du", ["-sb", "--exclude=DEBIAN", dir], { encoding: "utf8" });
  return Number(r.stdout.split(/\s/)[0] ?? statSync(dir).size);
}
