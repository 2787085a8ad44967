/**
 * The environment file for the etcd proxy unit, which runs
 * `etcd gateway start --listen-addr=${ETCD_GATEWAY_LISTEN_ADDR} --endpoints=${ETCD_GATEWAY_ENDPOINTS}`.
 */
export function renderEtcdProxy(listen: string, backends: string[]): string {
  if (backends.length === 0) throw new Error("etcd proxy backend list would be empty");
  return [
    "# Managed by halo: etcd proxy (etcd gateway) on loopback, every etcd member as a backend.",
    `ETCD_GATEWAY_LISTEN_ADDR=${listen}`,
    `ETCD_GATEWAY_ENDPOINTS=${backends.join(",")}`,
    "",
  ].join("\n");
}
