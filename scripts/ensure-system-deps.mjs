// The end-to-end and config-check tests run real nginx (stream module), HAProxy, etcd,
// keepalived and Chromium from Debian's packages. Every command and the package that provides
// it is listed once, in system-deps.mjs: this installs what is missing (as root, as CI runs),
// then checks again and fails loudly if anything is still missing.
import { execSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { PACKAGED_SERVICES, SYSTEM_COMMANDS, SYSTEM_FILES } from "./system-deps.mjs";

const has = (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;

/** Packages whose command or file is missing, with what is missing. */
function missingNow() {
  const missing = new Map();
  for (const [cmd, pkg] of Object.entries(SYSTEM_COMMANDS))
    if (!has(cmd)) missing.set(pkg, [...(missing.get(pkg) ?? []), cmd]);
  for (const [file, pkg] of Object.entries(SYSTEM_FILES))
    if (!existsSync(file)) missing.set(pkg, [...(missing.get(pkg) ?? []), file]);
  return missing;
}

const describe = (missing) =>
  [...missing].map(([pkg, what]) => `${what.join(", ")} (package ${pkg})`).join("; ");

const before = missingNow();
if (before.size === 0) process.exit(0);

if (process.getuid?.() !== 0 || !has("apt-get")) {
  console.error(
    `halo: the tests need ${describe(before)}; install them with ` +
      `apt-get install ${[...before.keys()].join(" ")}`,
  );
  process.exit(1);
}
const packages = [...before.keys()];
console.log(`halo: installing ${packages.join(" ")} from Debian's packages`);
const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
execSync("apt-get update -qq", { stdio: "inherit", env });
execSync(`apt-get install -y -qq ${packages.join(" ")}`, {
  stdio: "inherit",
  env,
});
spawnSync("sh", ["-c", PACKAGED_SERVICES.map((s) => `service ${s} stop`).join("; ")], {
  stdio: "ignore",
});

const after = missingNow();
if (after.size > 0) {
  console.error(`halo: still missing after apt-get install: ${describe(after)}`);
  process.exit(1);
}
