import * as S from "../shared/api-schemas.ts";
import { client, CliError, EXIT } from "./client.ts";
import { clusterOf, type Flags, type Out } from "./common.ts";

const path = (f: Flags, host: string) =>
  `/v1/clusters/${clusterOf(f)}/hosts/${encodeURIComponent(host)}/drain`;

const line = (s: {
  host: string;
  state: string;
  nodes: { routing: number; connections: number };
}) =>
  `${s.host}: ${s.state}, ${s.nodes.routing} node(s) still routing to it, ${s.nodes.connections} connection(s) open`;

/** `halo drain HOST [--grace S] [--wait]`: no LB sends the master new connections. */
export async function drainCmd(host: string | undefined, f: Flags, out: Out): Promise<number> {
  if (!host) throw new CliError("usage: halo drain HOST [--grace SECONDS] [--wait]", EXIT.usage);
  const grace = f.grace === undefined ? undefined : Number(f.grace);
  if (grace !== undefined && !(Number.isInteger(grace) && grace >= 1 && grace <= 3600))
    throw new CliError("--grace must be whole seconds from 1 to 3600", EXIT.usage);
  const api = client(f);
  const started = await api.call(
    S.DrainStarted,
    "POST",
    path(f, host),
    grace === undefined ? {} : { graceSeconds: grace },
  );
  if (!f.wait) {
    out(
      f.json
        ? JSON.stringify(started)
        : `${host}: draining since ${started.since} (grace ${started.graceSeconds} s); halo drain ${host} --wait follows it`,
    );
    return EXIT.ok;
  }
  let last = "";
  const every = Number(f.interval ?? 500);
  for (;;) {
    const s = await api.call(S.DrainStatus, "GET", path(f, host));
    const now = f.json ? JSON.stringify(s) : line(s);
    if (now !== last) out(now);
    last = now;
    if (s.state !== "draining") return s.state === "drained" ? EXIT.ok : EXIT.error;
    await new Promise((r) => setTimeout(r, every));
  }
}

/** `halo undrain HOST`: the master gets connections again. */
export async function undrainCmd(host: string | undefined, f: Flags, out: Out): Promise<number> {
  if (!host) throw new CliError("usage: halo undrain HOST", EXIT.usage);
  const s = await client(f).call(S.DrainStatus, "DELETE", path(f, host));
  out(f.json ? JSON.stringify(s) : `${host}: not drained; LBs send it connections again`);
  return EXIT.ok;
}
