/**
 * `npm run deploy`: the Cloudflare steps in order, each saying what it does, stopping with a
 * clear message at the first one that cannot go on (no credentials above all).
 *   1. credentials (`wrangler login`, or CLOUDFLARE_API_TOKEN)
 *   2. the D1 database (created once; its id written into wrangler.toml)
 *   3. the admin token secret (generated once, printed once)
 *   4. migrations, applied to the remote database
 *   5. `wrangler deploy`, then how agents and the CLI reach it
 * `npm run deploy -- --dry-run` needs no account: it builds the Worker as `wrangler deploy
 * --dry-run` does and applies the migrations to a throw-away local database.
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");
const WRANGLER = resolve(ROOT, "node_modules/.bin/wrangler");
const TOML = resolve(ROOT, "wrangler.toml");
const PLACEHOLDER_ID = "00000000-0000-0000-0000-000000000000";
const ENV = { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" };

/** Exit codes: 0 deployed (or the dry run passed), 1 a step failed, 2 usage, 3 no credentials. */
const EXIT = { ok: 0, failed: 1, usage: 2, credentials: 3 } as const;

class Stop extends Error {
  constructor(
    message: string,
    readonly code: number = EXIT.failed,
  ) {
    super(message);
  }
}

function wrangler(args: string[], input?: string): SpawnSyncReturns<string> {
  return spawnSync(WRANGLER, args, { cwd: ROOT, env: ENV, encoding: "utf8", input });
}

function must(what: string, r: SpawnSyncReturns<string>): string {
  if (r.status !== 0)
    throw new Stop(`${what} failed (wrangler exit ${r.status}):\n${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

let n = 0;
const step = (title: string) => console.log(`\n[${++n}/5] ${title}`);

/** Where `wrangler login` keeps its OAuth token (XDG config, or the older ~/.wrangler). */
function loggedIn(): boolean {
  const xdg = process.env.XDG_CONFIG_HOME ?? join(homedir(), ".config");
  return [
    join(xdg, ".wrangler/config/default.toml"),
    join(homedir(), ".wrangler/config/default.toml"),
  ].some(existsSync);
}

function credentials(dryRun: boolean): void {
  step("credentials");
  const how = process.env.CLOUDFLARE_API_TOKEN
    ? "CLOUDFLARE_API_TOKEN"
    : loggedIn()
      ? "wrangler login"
      : null;
  if (how === null) {
    const msg =
      "no Cloudflare credentials: run `npx wrangler login` (a browser opens), or export " +
      "CLOUDFLARE_API_TOKEN (a token with Workers Scripts: Edit and D1: Edit) and " +
      "CLOUDFLARE_ACCOUNT_ID; then run `npm run deploy` again. Nothing was changed.";
    if (!dryRun) throw new Stop(msg, EXIT.credentials);
    console.log(`  (dry run) ${msg}`);
    return;
  }
  if (dryRun) return void console.log(`  (dry run) would use ${how}`);
  const who = must("`wrangler whoami`", wrangler(["whoami"]));
  console.log(
    `  ${how}: ${
      who
        .split("\n")
        .find((l) => /associated with|account/i.test(l))
        ?.trim() ?? "ok"
    }`,
  );
}

function database(dryRun: boolean): void {
  step("D1 database `halo`");
  const toml = readFileSync(TOML, "utf8");
  const id = /database_id\s*=\s*"([^"]+)"/.exec(toml)?.[1];
  if (id && id !== PLACEHOLDER_ID) return void console.log(`  kept: database_id ${id}`);
  if (dryRun)
    return void console.log(
      "  (dry run) would run `wrangler d1 create halo` and write its database_id into wrangler.toml",
    );
  const out = must("`wrangler d1 create halo`", wrangler(["d1", "create", "halo"]));
  const created = /database_id["']?\s*[=:]\s*["']([0-9a-f-]{36})["']/.exec(out)?.[1];
  if (!created) throw new Stop(`could not read the new database_id from:\n${out}`);
  writeFileSync(
    TOML,
    toml.replace(`database_id = "${PLACEHOLDER_ID}"`, `database_id = "${created}"`),
  );
  console.log(`  created: database_id ${created} (written into wrangler.toml: commit it)`);
}

function secret(dryRun: boolean): void {
  step("admin token (secret HALO_ADMIN_TOKEN)");
  if (dryRun)
    return void console.log(
      "  (dry run) would generate 32 random bytes (base64url) and pipe them into `wrangler secret put HALO_ADMIN_TOKEN`",
    );
  const list = wrangler(["secret", "list", "--format", "json"]);
  if (list.status === 0 && list.stdout.includes('"HALO_ADMIN_TOKEN"'))
    return void console.log(
      "  kept: HALO_ADMIN_TOKEN is already set (rotate: `wrangler secret put HALO_ADMIN_TOKEN`)",
    );
  const token = randomBytes(32).toString("base64url");
  must(
    "`wrangler secret put HALO_ADMIN_TOKEN`",
    wrangler(["secret", "put", "HALO_ADMIN_TOKEN"], token),
  );
  console.log(
    `  set. The admin token, shown this once (keep it in a password manager):\n  ${token}`,
  );
}

function migrations(dryRun: boolean): void {
  step("migrations");
  if (!dryRun) {
    must(
      "`wrangler d1 migrations apply DB --remote`",
      wrangler(["d1", "migrations", "apply", "DB", "--remote"]),
    );
    return void console.log("  applied to the remote database");
  }
  const dir = mkdtempSync(join(tmpdir(), "halo-deploy-"));
  try {
    must(
      "`wrangler d1 migrations apply DB --local`",
      wrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", dir]),
    );
    console.log(
      "  (dry run) every migration applies to an empty local database; would run `wrangler d1 migrations apply DB --remote`",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function deploy(dryRun: boolean): void {
  step("deploy");
  if (dryRun) {
    const out = mkdtempSync(join(tmpdir(), "halo-deploy-"));
    try {
      must("`wrangler deploy --dry-run`", wrangler(["deploy", "--dry-run", "--outdir", out]));
      const kib = Math.round(readFileSync(join(out, "index.js")).length / 1024);
      console.log(
        `  (dry run) the Worker builds (${kib} KiB, bindings DB and HUB); would run \`wrangler deploy\``,
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
    return;
  }
  const out = must("`wrangler deploy`", wrangler(["deploy"]));
  const url = /https:\/\/[\w.-]+\.workers\.dev/.exec(out)?.[0] ?? "https://<your worker's URL>";
  console.log(`  deployed: ${url}
\nNext:
  halo login --server ${url} --token-file -   # the admin token on stdin
  halo cluster create prod && halo plan --cluster prod -f inventory.ini
  halo apply --cluster prod -f inventory.ini
  halo token create --cluster prod --groups kube-node  # a join token for nodes
  halo-agent join --server ${url} --token-file -   # the join token on stdin, on each node; then enable halo-agent.service`);
}

function main(argv: string[]): number {
  const dryRun = argv.includes("--dry-run");
  const unknown = argv.filter((a) => a !== "--dry-run");
  if (unknown.length > 0) {
    console.error(`deploy: unknown argument '${unknown[0]}' (only --dry-run)`);
    return EXIT.usage;
  }
  try {
    credentials(dryRun);
    database(dryRun);
    secret(dryRun);
    migrations(dryRun);
    deploy(dryRun);
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    console.error(`\ndeploy stopped at step ${n}: ${e.message}`);
    return e.code;
  }
  console.log(
    dryRun
      ? "\ndry run: the Worker builds and the migrations apply; nothing was changed"
      : "\ndone",
  );
  return EXIT.ok;
}

process.exit(main(process.argv.slice(2)));
