import pkg from "../package.json" with { type: "json" };

/** This agent's version: `halo-agent --version` and the nodes listing show it. */
export const AGENT_VERSION: string = pkg.version;
