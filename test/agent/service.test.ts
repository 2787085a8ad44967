import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_ARTIFACTS, loadAgentConfig } from "../../agent/config.ts";

describe("installing the agent as a service", () => {
  it("ships a sample /etc/halo/agent.yaml that loads and states every default", () => {
    const c = loadAgentConfig("agent/systemd/agent.yaml");
    expect(c.ok && c.value.artifacts).toEqual(DEFAULT_ARTIFACTS);
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
