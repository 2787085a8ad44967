// The one table of system commands halo's tests, demo and bench run, and the Debian package
// that provides each. `ensure-system-deps.mjs` checks and installs from it; a unit test checks
// that every command the tests spawn is listed here.

/** command -> Debian package (bookworm). */
export const SYSTEM_COMMANDS = {
  nginx: "nginx",
  haproxy: "haproxy",
  etcd: "etcd-server",
  etcdctl: "etcd-client",
  chromium: "chromium",
  keepalived: "keepalived",
  openssl: "openssl",
  ip: "iproute2",
  ss: "iproute2",
  pgrep: "procps",
  mount: "mount",
  umount: "mount",
  "systemd-analyze": "systemd",
  "dpkg-deb": "dpkg",
  lintian: "lintian",
  "ansible-playbook": "ansible-core",
  python3: "python3",
  unshare: "util-linux",
  nsenter: "util-linux",
};

/** Files a command needs beside itself: nginx's stream module is a package of its own. */
export const SYSTEM_FILES = {
  "/usr/lib/nginx/modules/ngx_stream_module.so": "libnginx-mod-stream",
};

/** Services Debian starts on install; the tests run their own instances. */
export const PACKAGED_SERVICES = ["nginx", "haproxy", "etcd", "keepalived"];
