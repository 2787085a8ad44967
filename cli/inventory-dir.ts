import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import type { InventoryDir } from "../shared/topology/inventory-dir.ts";

const VARS_FILE = /\.(ya?ml|json)$/i;
/** Files Ansible's directory inventory skips (editor and tool leftovers). */
const IGNORED = /(^\.|~$|\.(orig|ini\.bak|retry|pyc|pyo|md|txt)$)/i;

const files = (dir: string) =>
  readdirSync(dir)
    .sort()
    .filter((n) => !IGNORED.test(n));

/** Reads an Ansible inventory directory's files: inventories at the top, group_vars, host_vars. */
export function readDir(dir: string): InventoryDir {
  const out: InventoryDir = { inventories: [], groupVars: [], hostVars: [] };
  for (const name of files(dir)) {
    const path = join(dir, name);
    if (
      statSync(path).isFile() &&
      (VARS_FILE.test(name) || /\.ini$/i.test(name) || !name.includes("."))
    )
      out.inventories.push({ path: name, text: readFileSync(path, "utf8") });
  }
  const vars = (sub: "group_vars" | "host_vars") => {
    const found: Array<{ name: string; path: string; text: string }> = [];
    const base = join(dir, sub);
    let names: string[] = [];
    try {
      names = files(base);
    } catch {
      return found;
    }
    for (const name of names) {
      const path = join(base, name);
      if (statSync(path).isDirectory()) {
        for (const f of files(path).filter((n) => VARS_FILE.test(n)))
          found.push({ name, path: join(sub, name, f), text: readFileSync(join(path, f), "utf8") });
      } else if (VARS_FILE.test(name)) {
        found.push({
          name: basename(name).replace(VARS_FILE, ""),
          path: join(sub, name),
          text: readFileSync(path, "utf8"),
        });
      }
    }
    return found;
  };
  out.groupVars = vars("group_vars").map(({ name, path, text }) => ({ group: name, path, text }));
  out.hostVars = vars("host_vars").map(({ name, path, text }) => ({ host: name, path, text }));
  return out;
}
