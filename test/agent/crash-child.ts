// Runs one apply (or one recovery) of the real agent code in its own Bun process, so the crash
// test can SIGKILL it anywhere. Steps are printed to stderr as they happen.
import { readFileSync } from "node:fs";
import { applyBundle, recover } from "../../agent/apply.ts";
import { loadAgentConfig } from "../../agent/config.ts";
import type { Bundle } from "../../shared/bundle.ts";

const [mode, root, stateDir, configFile, bundleFile] = process.argv.slice(2);
const config = loadAgentConfig(configFile);
if (!config.ok || !root || !stateDir)
  throw new Error("usage: crash-child apply|recover ROOT STATE CONFIG [BUNDLE]");
const ctx = {
  config: config.value,
  root,
  stateDir,
  trace: (s: string) => process.stderr.write(`step ${s}\n`),
};
if (mode === "recover") {
  console.log(await recover(ctx));
} else {
  const bundle = JSON.parse(readFileSync(bundleFile ?? "", "utf8")) as Bundle;
  console.log(JSON.stringify(await applyBundle(bundle, ctx)));
}
