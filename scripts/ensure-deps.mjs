// Installs the node modules when a fresh clone has none (or they are out of date).
import { execSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

const pkg = JSON.parse(readFileSync("package.json", "utf8"));
const wanted = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies });
const missing = wanted.filter((name) => !existsSync(`node_modules/${name}/package.json`));
if (missing.length > 0) {
  console.log(`halo: installing node modules (missing: ${missing.slice(0, 5).join(", ")}...)`);
  const cmd = existsSync("package-lock.json") ? "npm ci" : "npm install";
  execSync(`${cmd} --no-audit --no-fund`, { stdio: "inherit" });
}
