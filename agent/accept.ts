import {
  bundleHash,
  WireArtifactSchema,
  type Artifact,
  type Bundle,
  type WireBundle,
} from "../shared/bundle-schema.ts";
import { sha256Hex } from "../shared/hash.ts";
import { kindModule, RENDERER_VERSION } from "../shared/kinds/registry.ts";
import { err, ok, type Result } from "../shared/result.ts";

/**
 * This node's own change to a spec before it renders what it installs (the nginx LB's backends
 * taken out after failed readiness checks); the sha256 is checked on the spec as it came.
 */
export type LocalAdjust = (kind: string, spec: unknown) => unknown;

/** A bundle this node will install, and the kinds in it that its config does not manage. */
export interface Accepted {
  bundle: Bundle;
  skipped: string[];
}

/**
 * Turns what the server sent into files, or refuses it with a reason before anything is
 * written: another renderer version, an artifact that is not `{kind, spec, sha256}` (raw
 * `content` included), a spec its kind's schema refuses, the same kind twice, a rendering whose
 * sha256 differs, a bundle hash that does not cover its artifacts. The node renders every file
 * itself: no content, path or command ever comes from the server.
 */
/**
 * Specs this agent has already checked against their sha256 (its own rendering matched), by
 * kind, sha256 and the spec's JSON: the drift check re-reads the applied bundle every time and
 * must not pay for the schema, the rendering and the hash again. A few entries: a node has one
 * spec per kind, and a change or two in flight.
 */
const verified = new Map<string, { spec: unknown; content: string }>();
const MAX_VERIFIED = 32;

function verify(
  raw: unknown,
  i: number,
): Result<{ kind: string; spec: unknown; sha256: string; content: string }, string> {
  const r = raw as { kind?: unknown; sha256?: unknown; spec?: unknown } | null;
  const key =
    typeof r?.kind === "string" && typeof r.sha256 === "string"
      ? `${r.kind} ${r.sha256} ${JSON.stringify(r.spec)}`
      : null;
  const hit = key === null ? undefined : verified.get(key);
  if (hit && Object.keys(r ?? {}).length === 3)
    return ok({ kind: r?.kind as string, sha256: r?.sha256 as string, ...hit });
  const parsed = WireArtifactSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = ["artifacts", i, ...(issue?.path ?? [])].map(String).join(".");
    return err(`${at}: ${issue?.message ?? "invalid"}`);
  }
  const a = parsed.data;
  const k = kindModule(a.kind);
  if (!k) return err(`artifacts.${i}: unknown kind ${a.kind}`);
  const content = k.render(a.spec);
  if (sha256Hex(content) !== a.sha256)
    return err(`artifacts.${i}: ${a.kind}: this agent's rendering does not match its sha256`);
  if (key !== null) {
    if (verified.size >= MAX_VERIFIED) verified.delete(verified.keys().next().value ?? "");
    verified.set(key, { spec: a.spec, content });
  }
  return ok({ kind: a.kind, spec: a.spec, sha256: a.sha256, content });
}

export function acceptBundle(
  wire: WireBundle,
  manages: (kind: string) => boolean,
  adjust?: LocalAdjust,
): Result<Accepted, string> {
  if (wire.renderer !== RENDERER_VERSION)
    return err(
      `renderer version: the bundle needs renderers v${wire.renderer}, this agent has v${RENDERER_VERSION}`,
    );
  const artifacts: Artifact[] = [];
  const seen = new Set<string>();
  for (const [i, raw] of wire.artifacts.entries()) {
    const v = verify(raw, i);
    if (!v.ok) return v;
    const a = v.value;
    if (seen.has(a.kind)) return err(`artifacts.${i}: kind ${a.kind} appears twice`);
    seen.add(a.kind);
    const local = adjust ? adjust(a.kind, a.spec) : a.spec;
    artifacts.push({
      kind: a.kind,
      spec: a.spec,
      sha256: a.sha256,
      content: local === a.spec ? a.content : (kindModule(a.kind)?.render(local) ?? a.content),
    });
  }
  if (bundleHash(artifacts) !== wire.hash)
    return err("hash: the bundle hash does not cover its artifacts");
  const skipped = artifacts.filter((a) => !manages(a.kind)).map((a) => a.kind);
  return ok({
    bundle: {
      version: wire.version,
      hash: wire.hash,
      artifacts: artifacts.filter((a) => manages(a.kind)),
    },
    skipped,
  });
}
