/** One lb host's keepalived: a VRRP instance that holds the external LB's VIP while HAProxy is up. */
export interface KeepalivedInput {
  vip: string;
  interface: string;
  routerId: number;
  priority: number;
  advertInt: number;
  self: string;
  peers: string[];
  authPass: string;
  /** HAProxy's health listener on this host (monitor-uri), which the track script connects to */
  healthPort: number;
}

/**
 * keepalived.conf: unicast VRRP between the lb hosts, every one starting as BACKUP so the
 * highest priority (the group's first host) takes the VIP, and takes it back when it is healthy
 * again; a track script that fails when HAProxy stops answering on its health port, which
 * sends the instance to FAULT and the VIP to the next host at once.
 */
export function renderKeepalived(k: KeepalivedInput): string {
  if (k.peers.length === 0) throw new Error("keepalived without peers would hold the VIP alone");
  return [
    "# Managed by halo: keepalived for the external LB's VIP. Edits are overwritten.",
    "global_defs {",
    "  enable_script_security",
    "  script_user root",
    "}",
    "",
    "vrrp_script halo_haproxy {",
    `  script "/bin/bash -c '</dev/tcp/127.0.0.1/${k.healthPort}'"`,
    "  interval 1",
    "  timeout 1",
    "  fall 2",
    "  rise 2",
    "}",
    "",
    "vrrp_instance halo_apiserver {",
    "  state BACKUP",
    `  interface ${k.interface}`,
    `  virtual_router_id ${k.routerId}`,
    `  priority ${k.priority}`,
    `  advert_int ${k.advertInt}`,
    `  unicast_src_ip ${k.self}`,
    "  unicast_peer {",
    ...k.peers.map((p) => `    ${p}`),
    "  }",
    // Adverts from any address but the peers above are ignored: the only protection VRRP has
    // here, since auth_pass (derived from the cluster's public data) is no secret.
    "  check_unicast_src",
    "  authentication {",
    "    auth_type PASS",
    `    auth_pass ${k.authPass}`,
    "  }",
    "  virtual_ipaddress {",
    `    ${k.vip}/32 dev ${k.interface}`,
    "  }",
    "  track_script {",
    "    halo_haproxy",
    "  }",
    "}",
    "",
  ].join("\n");
}
