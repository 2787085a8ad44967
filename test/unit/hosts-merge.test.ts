import { describe, expect, it } from "vitest";
import {
  HOSTS_BEGIN,
  HOSTS_END,
  mergeHostsBlock,
  renderHostsBlock,
} from "../../shared/render/hosts.ts";

const SYSTEM = "127.0.0.1 localhost\n::1 localhost ip6-localhost\n10.0.0.5 registry.local\n";
const block = renderHostsBlock([{ address: "10.0.9.9", names: ["lb-apiserver.kubernetes.local"] }]);

describe("the /etc/hosts managed block", () => {
  it("is appended to a hosts file that has none, keeping every other line", () => {
    expect(mergeHostsBlock(SYSTEM, block)).toBe(
      `${SYSTEM}${HOSTS_BEGIN}\n10.0.9.9 lb-apiserver.kubernetes.local\n${HOSTS_END}\n`,
    );
  });

  it("replaces only its own block, in place", () => {
    const before = `${SYSTEM}${renderHostsBlock([{ address: "10.0.0.1", names: ["old"] }])}# after\n`;
    expect(mergeHostsBlock(before, block)).toBe(
      `${SYSTEM}${HOSTS_BEGIN}\n10.0.9.9 lb-apiserver.kubernetes.local\n${HOSTS_END}\n# after\n`,
    );
  });

  it("is idempotent", () => {
    const once = mergeHostsBlock(SYSTEM, block);
    expect(mergeHostsBlock(once, block)).toBe(once);
  });

  it("empties its block when the external LB goes away", () => {
    const once = mergeHostsBlock(SYSTEM, block);
    expect(mergeHostsBlock(once, renderHostsBlock([]))).toBe(
      `${SYSTEM}${HOSTS_BEGIN}\n${HOSTS_END}\n`,
    );
  });

  it("adds a newline to a file that lacks a final one", () => {
    expect(mergeHostsBlock("127.0.0.1 localhost", block)).toBe(
      `127.0.0.1 localhost\n${HOSTS_BEGIN}\n10.0.9.9 lb-apiserver.kubernetes.local\n${HOSTS_END}\n`,
    );
  });
});
