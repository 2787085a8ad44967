import type { WireBundle } from "../shared/bundle-schema.ts";
import { kindsWith, specWith } from "../shared/kinds/registry.ts";
import { isIp } from "../shared/net.ts";
import type { ApplyContext } from "./apply.ts";
import { kubeconfigCA } from "./certs.ts";
import { resolveTarget } from "./files.ts";
import { readOrNull } from "./fs-atomic.ts";
import { guardProbe } from "./loopback-guard.ts";
import { withRoot } from "./plan.ts";
import { lbBackends } from "./preswap.ts";
import { hostsFileLookup } from "./probes.ts";
import { splitAddress } from "./readyz.ts";

const TIMEOUT_MS = 3000;

/** A TLS failure that is about the certificate (kubelet would refuse it), not the network. */
const certificateError = (code: string) => /CERT|SIGNATURE|ALTNAME|ISSUER|SELF_SIGNED/.test(code);

/**
 * One TLS handshake to `address`, verified as kubelet verifies: against `ca`, with `name` (the
 * URL's host) as the server name and the name the certificate must carry.
 */
function handshake(
  address: { host: string; port: number },
  name: string,
  ca: string,
): Promise<{ ok: true } | { ok: false; error: string; certificate: boolean }> {
  guardProbe(address.host, `the kubeconfig check of ${name}`);
  // node:tls, loaded when a kubeconfig's server is about to change: it verifies exactly as
  // kubelet's Go client does (chain and name), and the agent does not carry it otherwise.
  const { checkServerIdentity, connect } = process.getBuiltinModule("node:tls");
  return new Promise((resolve) => {
    const sock = connect(
      {
        host: address.host,
        port: address.port,
        ca,
        rejectUnauthorized: true,
        ...(isIp(name) ? {} : { servername: name }),
        checkServerIdentity: (_host, cert) => checkServerIdentity(name, cert),
      },
      () => done({ ok: true }),
    );
    const timer = setTimeout(
      () => done({ ok: false, error: `no TLS handshake in ${TIMEOUT_MS} ms`, certificate: false }),
      TIMEOUT_MS,
    );
    function done(r: { ok: true } | { ok: false; error: string; certificate: boolean }) {
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    }
    sock.on("error", (e: Error & { code?: string }) =>
      done({
        ok: false,
        error: (e.message || String(e)).split("\n")[0] ?? "",
        certificate: certificateError(e.code ?? ""),
      }),
    );
  });
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|::1)$/;

/**
 * Before the `kubeconfig` kind moves kubelet to a new `server:`: a TLS handshake to the new URL
 * verified against the CA in that kubeconfig's own `certificate-authority-data`, with the URL's
 * host as the server name, as kubelet will. When the URL is this node's own LB and the bundle
 * also rewrites that LB, each new backend is checked with the URL's host instead (the LB passes
 * TLS through). A kubeconfig without a CA (insecure-skip-tls-verify) verifies nothing, so it is
 * not checked. Returns why the bundle must be refused, or null.
 */
export async function kubeconfigPreflight(
  wire: WireBundle,
  ctx: Pick<ApplyContext, "root" | "config">,
): Promise<string | null> {
  const paths = kindsWith("movesClient").flatMap(
    (k) => ctx.config.artifacts[k as keyof typeof ctx.config.artifacts]?.paths ?? [],
  );
  const moving = specWith(wire.artifacts, "movesClient");
  const spec = moving?.spec as { server?: unknown } | undefined;
  const server = typeof spec?.server === "string" ? spec.server : null;
  if (server === null || paths.length === 0 || !server.startsWith("https://")) return null;
  const url = new URL(server);
  const name = url.hostname.replace(/^\[|\]$/g, "");
  const port = Number(url.port || 443);
  for (const path of paths) {
    let text: string | null;
    try {
      text = readOrNull(resolveTarget(ctx.root, path));
    } catch {
      continue;
    }
    const current = /^\s+server:\s*["']?([^\s"'#]+)/m.exec(text ?? "")?.[1];
    if (text === null || current === server) continue;
    const ca = kubeconfigCA(text) ?? caFile(text, ctx.root);
    if (ca === null) continue;
    const backends = LOOPBACK.test(name) ? lbBackends(wire) : [];
    const addresses =
      backends.length > 0
        ? backends.map(splitAddress)
        : [{ host: resolve(name, ctx.root, wire), port }];
    const results = await Promise.all(addresses.map((a) => handshake(a, name, ca)));
    const bad = results.flatMap((r, i) =>
      r.ok ? [] : [{ ...r, at: `${addresses[i]?.host}:${addresses[i]?.port}` }],
    );
    const why = bad.map((b) => `${b.at}: ${b.error}`).join("; ");
    if (bad.some((b) => b.certificate) || bad.length === results.length)
      return `kubelet would not trust ${server} with the CA in ${path} (${why}); nothing was changed`;
  }
  return null;
}

/** A kubeconfig's `certificate-authority:` file (a path on this node). */
function caFile(text: string, root: string): string | null {
  const p = /^\s*certificate-authority:\s*["']?(\/[^\s"']+)["']?\s*$/m.exec(text)?.[1];
  return p ? readOrNull(withRoot(root, p)) : null;
}

/**
 * The address to dial for a URL's host: the bundle's own hosts entries first (the LB name comes
 * with them), then, under --root, the sandbox's hosts file; else the name, for the resolver.
 */
function resolve(name: string, root: string, wire: WireBundle): string {
  if (isIp(name)) return name;
  const hosts = specWith(wire.artifacts, "resolves")?.spec as
    { entries?: Array<{ address: string; names: string[] }> } | undefined;
  const entry = hosts?.entries?.find((e) => e.names.includes(name));
  if (entry) return entry.address;
  if (root === "/" || root === "") return name;
  return hostsFileLookup(root, name)[0] ?? name;
}
