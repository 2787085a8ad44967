import { z } from "zod";
import { canonicalIp, isHostName, isIp } from "../net.ts";
import { INTERFACE_NAME, INTERFACE_NAME_MESSAGE } from "../names.ts";
import { issuesOf, type Issue } from "../result.ts";
import type { Vars } from "./schema.ts";

/** What the Kargo document's vars decide for one host, after profile defaults and fallbacks. */
export interface Settings {
  profile: "kargo" | "kubespray";
  /** sp: kube_apiserver_port */
  securePort: number;
  /** p: kube_apiserver_insecure_port; 0 means disabled */
  insecurePort: number;
  etcdMultiaccess: boolean;
  etcdScheme: "http" | "https";
  localhostLb: boolean;
  lbType: "nginx" | "haproxy";
  /** loadbalancer_apiserver with lp already defaulted to sp */
  externalLb: { address: string; port: number } | null;
  /** the LB name: a DNS name, or (kubespray's default with an external LB) the VIP itself */
  lbDomain: string;
  lbHealthPort: number;
  /** where the localhost LB listens: loadbalancer_apiserver_port, else sp */
  lbPort: number;
  /** keepalived on the lb hosts: halo_vip_interface, halo_vip_router_id, halo_vip_advert_int */
  vip: { interface: string | null; routerId: number | null; advertInt: number };
}

export const ETCD_CLIENT_PORT = 2379;
export const DEFAULT_LB_DOMAIN = "lb-apiserver.kubernetes.local";

const port = (min: number) =>
  z
    .union([z.number(), z.string().regex(/^\d+$/, "must be a port number").transform(Number)])
    .pipe(
      z
        .number()
        .int("must be an integer")
        .min(min, `must be a port from ${min} to 65535`)
        .max(65535, `must be a port from ${min} to 65535`),
    );

const int = (min: number, max: number) =>
  z
    .union([z.number(), z.string().regex(/^\d+$/).transform(Number)], {
      error: "must be a whole number",
    })
    .pipe(
      z
        .number()
        .int("must be a whole number")
        .min(min, `must be from ${min} to ${max}`)
        .max(max, `must be from ${min} to ${max}`),
    );

const bool = z.union([
  z.boolean(),
  z
    .string()
    .regex(/^(true|false|yes|no|True|False|Yes|No|TRUE|FALSE)$/, "must be true or false")
    .transform((s) => /^(true|yes)$/i.test(s)),
]);

/** The vars halo reads, each strictly typed: these are the only ones that reach a renderer. */
const KnownVars = {
  halo_profile: z.enum(["kargo", "kubespray"]),
  kube_apiserver_port: port(1),
  kube_apiserver_insecure_port: port(0),
  etcd_multiaccess: bool,
  halo_etcd_scheme: z.enum(["http", "https"]),
  loadbalancer_apiserver_localhost: bool,
  loadbalancer_apiserver_type: z.enum(["nginx", "haproxy"]),
  loadbalancer_apiserver_healthcheck_port: port(1),
  loadbalancer_apiserver_port: port(1),
  apiserver_loadbalancer_domain_name: z.union([
    z.string().refine(isIp).transform(canonicalIp),
    z
      .string()
      .refine(isHostName, "must be a DNS name (letters, digits, inner '-', dots) or an IP literal")
      .refine(
        (n) => !/(^|\.)localhost\.?$/i.test(n),
        "must not be localhost: /etc/hosts would send localhost to the LB",
      )
      .refine(
        (n) => /[A-Za-z]/.test(n.split(".").pop() ?? ""),
        "must end in a label with a letter: an all-numeric name reads as an address",
      ),
  ]),
  halo_vip_interface: z.string().regex(INTERFACE_NAME, INTERFACE_NAME_MESSAGE),
  halo_vip_router_id: int(1, 255),
  halo_vip_advert_int: int(1, 255),
  loadbalancer_apiserver: z.strictObject({
    address: z.string().refine(isIp, "must be an IPv4 or IPv6 literal").transform(canonicalIp),
    port: port(1).optional(),
  }),
} as const;

type KnownName = keyof typeof KnownVars;
type Known = { [K in KnownName]?: z.output<(typeof KnownVars)[K]> };

/** Vars whose value is a structure (an INI inventory writes them as inline maps). */
export const STRUCTURED_VARS: ReadonlySet<string> = new Set(["loadbalancer_apiserver"]);

const JINJA = /\{\{|\{%/;
const hasJinja = (v: unknown): boolean =>
  typeof v === "string"
    ? JINJA.test(v)
    : typeof v === "object" && v !== null && Object.values(v).some(hasJinja);

/** Checks every known var in one vars block; `at` is the block's path for messages. */
export function checkKnownVars(vars: Vars | undefined, at: string): Issue[] {
  const issues: Issue[] = [];
  for (const [name, schema] of Object.entries(KnownVars)) {
    if (vars === undefined || !(name in vars)) continue;
    if (hasJinja(vars[name])) {
      issues.push({
        path: [at, name].filter((s) => s !== "").join("."),
        message: "halo reads literal values; evaluate it or set it in the inventory",
      });
      continue;
    }
    const parsed = schema.safeParse(vars[name]);
    if (!parsed.success) {
      issues.push(...issuesOf(parsed.error.issues, [at, name]));
    }
  }
  return issues;
}

function readKnown(vars: Vars): Known {
  const out: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(KnownVars)) {
    if (!(name in vars)) continue;
    const parsed = schema.safeParse(vars[name]);
    if (parsed.success) out[name] = parsed.data;
  }
  return out as Known;
}

/** Turns a host's merged vars into settings: explicit vars win over the profile's defaults. */
export function resolveSettings(vars: Vars): Settings {
  const k = readKnown(vars);
  const profile = k.halo_profile ?? "kargo";
  const kubespray = profile === "kubespray";
  const securePort = k.kube_apiserver_port ?? (kubespray ? 6443 : 443);
  const lb = k.loadbalancer_apiserver;
  return {
    profile,
    securePort,
    insecurePort: k.kube_apiserver_insecure_port ?? (kubespray ? 0 : 8080),
    etcdMultiaccess: k.etcd_multiaccess ?? kubespray,
    etcdScheme: k.halo_etcd_scheme ?? (kubespray ? "https" : "http"),
    // kubespray_defaults: loadbalancer_apiserver_localhost: "{{ loadbalancer_apiserver is not defined }}"
    localhostLb: k.loadbalancer_apiserver_localhost ?? (kubespray && lb === undefined),
    lbType: k.loadbalancer_apiserver_type ?? "nginx",
    externalLb: lb ? { address: lb.address, port: lb.port ?? securePort } : null,
    // kubespray_defaults: apiserver_loadbalancer_domain_name defaults to loadbalancer_apiserver.address
    lbDomain:
      k.apiserver_loadbalancer_domain_name ??
      (kubespray && lb !== undefined ? lb.address : DEFAULT_LB_DOMAIN),
    lbHealthPort: k.loadbalancer_apiserver_healthcheck_port ?? 8081,
    lbPort: k.loadbalancer_apiserver_port ?? securePort,
    vip: {
      interface: k.halo_vip_interface ?? null,
      routerId: k.halo_vip_router_id ?? null,
      advertInt: k.halo_vip_advert_int ?? 1,
    },
  };
}
