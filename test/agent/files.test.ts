import { writeAgentConfig } from "../support/agent-config.ts";
import { spawnSync } from "node:child_process";
import {
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyBundle, type ApplyContext } from "../../agent/apply.ts";
import { loadAgentConfig } from "../../agent/config.ts";
import { journalPath } from "../../agent/journal.ts";
import { HOSTS_BEGIN, HOSTS_END } from "../../shared/render/hosts.ts";
import { makeBundle } from "../support/bundles.ts";

/** Mounts need root (CI runs as root); elsewhere those cases say why they are skipped. */
const ROOT = process.getuid?.() === 0;
const NEEDS_ROOT = "needs root to mount a tmpfs or a bind mount";

let dir = "";
let root = "";
let state = "";
const mounts: string[] = [];
const log = () => join(dir, "log");
const ran = () => (existsSync(log()) ? readFileSync(log(), "utf8").trim().split("\n") : []);

function ctx(): ApplyContext {
  const config = writeAgentConfig(dir, {
    nginx: {
      path: "/etc/nginx/nginx.conf",
      check: "grep -q upstream {staged}",
      reload: `echo reload-nginx >> ${log()}`,
      retire: `echo retire-nginx >> ${log()}`,
      health: null,
    },
    haproxy: {
      path: "/etc/haproxy/haproxy.cfg",
      reload: `echo reload-haproxy >> ${log()}`,
      retire: `echo retire-haproxy >> ${log()}`,
      health: null,
    },
    "etcd-proxy": { path: "/etc/halo/etcd-proxy.env" },
  });
  return { config, root, stateDir: state };
}

const at = (p: string) => join(root, p);
const read = (p: string) => readFileSync(at(p), "utf8");
const NGINX1 = "stream { upstream a { server 10.0.0.1:443; } }\n";
const NGINX2 = "stream { upstream a { server 10.0.0.2:443; } }\n";
const HAPROXY = "listen kubernetes-apiserver-https\n  bind 10.0.9.9:8383\n";
const SYSTEM_HOSTS = "127.0.0.1 localhost\n";
const BLOCK = `${HOSTS_BEGIN}\n10.0.9.9 lb-apiserver.kubernetes.local\n${HOSTS_END}\n`;

function mount(args: string[], target: string): void {
  const r = spawnSync("mount", [...args, target], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`mount ${args.join(" ")} ${target}: ${r.stderr}`);
  mounts.push(target);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "halo-files-"));
  root = join(dir, "root");
  state = join(dir, "state");
  mkdirSync(at("etc/nginx"), { recursive: true });
  writeFileSync(at("etc/hosts"), SYSTEM_HOSTS);
});
afterEach(() => {
  for (const m of mounts.splice(0).reverse()) spawnSync("umount", [m]);
  rmSync(dir, { recursive: true, force: true });
});

describe("real file semantics", () => {
  it("keeps the mode and owner of the file it replaces", async () => {
    writeFileSync(at("etc/nginx/nginx.conf"), NGINX1, { mode: 0o640 });
    if (ROOT) chownSync(at("etc/nginx/nginx.conf"), 0, 1);
    expect((await applyBundle(makeBundle(1, { nginx: NGINX2 }), ctx())).ok).toBe(true);
    const st = statSync(at("etc/nginx/nginx.conf"));
    expect(read("etc/nginx/nginx.conf")).toBe(NGINX2);
    expect(st.mode & 0o777).toBe(0o640);
    if (ROOT) expect([st.uid, st.gid]).toEqual([0, 1]);
  });

  it("follows a symlinked managed path: the link stays, its target is updated", async () => {
    mkdirSync(at("run"));
    writeFileSync(at("run/hosts"), SYSTEM_HOSTS);
    rmSync(at("etc/hosts"));
    symlinkSync("../run/hosts", at("etc/hosts"));
    expect((await applyBundle(makeBundle(1, { hosts: BLOCK }), ctx())).ok).toBe(true);
    expect(lstatSync(at("etc/hosts")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(at("etc/hosts"))).toBe("../run/hosts");
    expect(readFileSync(at("run/hosts"), "utf8")).toBe(SYSTEM_HOSTS + BLOCK);
  });

  it("never writes through a symlink planted at the staging name", async () => {
    const victim = join(dir, "victim");
    writeFileSync(victim, "precious\n");
    symlinkSync(victim, at("etc/nginx/.nginx.conf.halo-new"));
    const r = await applyBundle(makeBundle(1, { nginx: NGINX1 }), ctx());
    expect(r.ok ? null : r.error).toMatchObject({ stage: "stage", rolledBack: false });
    expect(r.ok ? "" : r.error.error).toMatch(/planted link/);
    expect(readFileSync(victim, "utf8")).toBe("precious\n");
    expect(existsSync(journalPath(state))).toBe(false);
  });

  it("reports a directory at a managed path as failed, and applies the next bundle once it is gone", async () => {
    mkdirSync(at("etc/halo/endpoints.json"), { recursive: true });
    const bundle = makeBundle(1, { endpoints: "{}\n", hosts: BLOCK });
    const r = await applyBundle(bundle, ctx());
    expect(r.ok ? null : r.error).toMatchObject({ stage: "stage", rolledBack: false });
    expect(r.ok ? "" : r.error.error).toMatch(/EISDIR/);
    expect(read("etc/hosts")).toBe(SYSTEM_HOSTS);
    expect(existsSync(journalPath(state))).toBe(false);
    rmSync(at("etc/halo/endpoints.json"), { recursive: true });
    expect((await applyBundle(makeBundle(2, { endpoints: "{}\n", hosts: BLOCK }), ctx())).ok).toBe(
      true,
    );
    expect(read("etc/hosts")).toBe(SYSTEM_HOSTS + BLOCK);
  });

  it("retires a kind the bundle no longer carries: file removed, retire run, in one transaction", async () => {
    mkdirSync(at("etc/haproxy"));
    expect((await applyBundle(makeBundle(1, { haproxy: HAPROXY, hosts: BLOCK }), ctx())).ok).toBe(
      true,
    );
    expect(existsSync(at("etc/haproxy/haproxy.cfg"))).toBe(true);
    const r = await applyBundle(makeBundle(2, { hosts: `${HOSTS_BEGIN}\n${HOSTS_END}\n` }), ctx());
    expect(r).toEqual({ ok: true, value: { changed: ["hosts", "haproxy"] } });
    expect(existsSync(at("etc/haproxy/haproxy.cfg"))).toBe(false);
    expect(ran()).toEqual(["reload-haproxy", "retire-haproxy"]);
    expect(readdirSync(at("etc/haproxy"))).toEqual([]);
  });

  it.skipIf(!ROOT)(
    "survives a full disk: failed at stage, nothing changed, and applies once there is space",
    async () => {
      writeFileSync(at("etc/nginx/nginx.conf"), NGINX1);
      const disk = at("etc/nginx");
      mount(["-t", "tmpfs", "-o", "size=16k", "tmpfs"], disk);
      writeFileSync(join(disk, "nginx.conf"), NGINX1);
      const big = "stream { upstream a { " + "server 10.0.0.2:443; ".repeat(2000) + "} }\n";
      const r = await applyBundle(makeBundle(1, { nginx: big }), ctx());
      expect(r.ok ? null : r.error).toMatchObject({ stage: "stage", rolledBack: false });
      expect(r.ok ? "" : r.error.error).toMatch(/ENOSPC/);
      expect(read("etc/nginx/nginx.conf")).toBe(NGINX1);
      expect(readdirSync(disk)).toEqual(["nginx.conf"]);
      expect(existsSync(journalPath(state))).toBe(false);
      spawnSync("mount", ["-o", "remount,size=1m", disk]);
      expect((await applyBundle(makeBundle(2, { nginx: big }), ctx())).ok).toBe(true);
      expect(read("etc/nginx/nginx.conf")).toBe(big);
    },
  );

  it.skipIf(!ROOT)(
    "rewrites a bind-mounted /etc/hosts in place, as containers mount it",
    async () => {
      const source = join(dir, "container-hosts");
      writeFileSync(source, SYSTEM_HOSTS);
      mount(["--bind", source], at("etc/hosts"));
      const r = await applyBundle(makeBundle(1, { hosts: BLOCK }), ctx());
      expect(r).toEqual({ ok: true, value: { changed: ["hosts"] } });
      expect(readFileSync(source, "utf8")).toBe(SYSTEM_HOSTS + BLOCK);
      expect(read("etc/hosts")).toBe(SYSTEM_HOSTS + BLOCK);
      expect(readdirSync(at("etc")).filter((f) => f.includes(".halo-"))).toEqual([]);
    },
  );
});

if (!ROOT) console.warn(`files.test.ts: the tmpfs and bind-mount cases are skipped: ${NEEDS_ROOT}`);

describe("kubeconfig files", () => {
  const KUBECONFIG =
    "apiVersion: v1\nclusters:\n- cluster:\n    server: https://10.0.0.9:6443\n  name: c\nkind: Config\n";
  const withKubeconfig = (paths: string[]) => {
    const c = ctx();
    c.config.artifacts.kubeconfig = {
      paths,
      check: null,
      reload: `echo restart-kubelet >> ${log()}`,
      retire: null,
      health: null,
    };
    return c;
  };

  it("edits the listed files that exist and never creates one", async () => {
    mkdirSync(at("etc/kubernetes"));
    writeFileSync(at("etc/kubernetes/kubelet.conf"), KUBECONFIG, { mode: 0o600 });
    const c = withKubeconfig(["/etc/kubernetes/kubelet.conf", "/etc/kubernetes/proxy.conf"]);
    const r = await applyBundle(
      makeBundle(1, { kubeconfig: "server: https://localhost:6443\n" }),
      c,
    );
    expect(r).toEqual({ ok: true, value: { changed: ["kubeconfig"] } });
    expect(read("etc/kubernetes/kubelet.conf")).toBe(
      KUBECONFIG.replace("https://10.0.0.9:6443", "https://localhost:6443"),
    );
    expect(statSync(at("etc/kubernetes/kubelet.conf")).mode & 0o777).toBe(0o600);
    expect(existsSync(at("etc/kubernetes/proxy.conf"))).toBe(false);
    expect(ran()).toEqual(["restart-kubelet"]);
  });

  it("refuses to install a kubeconfig that no longer parses", async () => {
    mkdirSync(at("etc/kubernetes"));
    writeFileSync(
      at("etc/kubernetes/kubelet.conf"),
      "clusters: [\n    server: https://10.0.0.9:6443\n",
    );
    const c = withKubeconfig(["/etc/kubernetes/kubelet.conf"]);
    const r = await applyBundle(
      makeBundle(1, { kubeconfig: "server: https://localhost:6443\n" }),
      c,
    );
    expect(r.ok ? null : r.error).toMatchObject({ stage: "check", rolledBack: false });
    expect(read("etc/kubernetes/kubelet.conf")).toContain("https://10.0.0.9:6443");
  });
});
