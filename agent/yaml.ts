import { createRequire } from "node:module";

type Parse = (text: string) => unknown;

/**
 * Parses YAML with Bun's built-in parser when the agent runs on Bun (the `yaml` package alone
 * would add about 18 MB to an idle agent), and with the `yaml` package elsewhere (tests on Node).
 */
export function parseYaml(text: string): unknown {
  const builtIn = (globalThis as { Bun?: { YAML?: { parse: Parse } } }).Bun?.YAML?.parse;
  if (builtIn) return builtIn(text);
  const { parse } = createRequire(import.meta.url)("yaml") as { parse: Parse };
  return parse(text);
}
