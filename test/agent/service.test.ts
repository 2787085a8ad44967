import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_ARTIFACTS, loadAgentConfig, OPT_IN } from "../../agent/config.ts";

describe("installing the agent as a service", () => {
  it("ships a sample /etc/halo/agent.yaml that loads and states every default but the opt-in kubeconfig", () => {
    const c = loadAgentConfig("agent/systemd/agent.yaml");
    const { kubeconfig: _k, ...managed } = DEFAULT_ARTIFACTS;
    expect(OPT_IN).toEqual(["kubeconfig"]);
    expect(c.ok && c.value.artifacts).toEqual(managed);
  });

  it("manages kubeconfig only where the config names it", () => {
    const none = loadAgentConfig(undefined);
    expect(none.ok && "kubeconfig" in none.value.artifacts).toBe(false);
    const dir = mkdtempSync(join(tmpdir(), "halo-cfg-"));
    writeFileSync(join(dir, "a.yaml"), "artifacts:\n  kubeconfig: {}\n");
    const named = loadAgentConfig(join(dir, "a.yaml"));
    expect(named.ok && named.value.artifacts.kubeconfig).toEqual(DEFAULT_ARTIFACTS.kubeconfig);
  });

  it("does not restart a revoked (3) or misconfigured (2) agent forever", () => {
    const unit = readFileSync("agent/systemd/halo-agent.service", "utf8");
    expect(unit).toMatch(/^RestartPreventExitStatus=2 3$/m);
    expect(unit).toMatch(/^Restart=on-failure$/m);
    const proxy = readFileSync("agent/systemd/halo-etcd-proxy.service", "utf8");
    expect(proxy).toMatch(/^EnvironmentFile=-\/etc\/halo\/etcd-proxy.env$/m);
  });

  it.each(["halo-agent", "halo-etcd-proxy"])(
    "%s.service is rated 5 or better by systemd-analyze security",
    (unit) => {
      const r = spawnSync(
        "systemd-analyze",
        ["security", "--offline=true", "--no-pager", `agent/systemd/${unit}.service`],
        { encoding: "utf8" },
      );
      const m = /Overall exposure level for \S+: (\d+\.\d+)/.exec(r.stdout);
      expect(m, r.stdout + r.stderr).not.toBeNull();
      expect(Number(m?.[1])).toBeLessThanOrEqual(5);
    },
  );
});
