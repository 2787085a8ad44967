import pkg from "../package.json" with { type: "json" };

/** The CLI's version: `halo --version`. */
export const VERSION: string = pkg.version;
