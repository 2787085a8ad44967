// The end-to-end and config-check tests run the real nginx (stream module), HAProxy and etcd,
// and the dashboard's tests Chromium, from Debian's packages; this installs them when missing
// (as root, as CI runs).
import { execSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const has = (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
const stream =
  existsSync("/usr/lib/nginx/modules/ngx_stream_module.so") ||
  spawnSync("sh", ["-c", "nginx -V 2>&1 | grep -q with-stream=dynamic"]).status !== 0;
const missing = ["nginx", "haproxy", "etcd", "etcdctl", "chromium", "keepalived"].filter(
  (c) => !has(c),
);
if (missing.length === 0 && stream) process.exit(0);

if (process.getuid?.() !== 0 || !has("apt-get")) {
  console.error(
    `halo: missing ${missing.join(", ") || "nginx's stream module"}; install Debian's ` +
      "nginx libnginx-mod-stream haproxy etcd-server etcd-client chromium keepalived (the tests need them)",
  );
  process.exit(1);
}
console.log(
  `halo: installing ${missing.join(", ") || "libnginx-mod-stream"} from Debian's packages`,
);
const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
execSync("apt-get update -qq", { stdio: "inherit", env });
execSync(
  "apt-get install -y -qq nginx libnginx-mod-stream haproxy etcd-server etcd-client chromium",
  {
    stdio: "inherit",
    env,
  },
);
// Debian starts the packaged services on install; the tests run their own instances.
spawnSync(
  "sh",
  ["-c", "service nginx stop; service haproxy stop; service etcd stop; service keepalived stop"],
  {
    stdio: "ignore",
  },
);
