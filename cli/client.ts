import type { z } from "zod";
import { loadConfig } from "./config.ts";

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, error: 1, usage: 2, auth: 3, notCompleted: 4, declined: 5 } as const;

/** An API error with the exit code it maps to. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

export interface Client {
  server: string;
  token: string;
  /**
   * Calls the API and parses the answer with the route's schema from shared/api-schemas.ts, the
   * same schema the route is documented with: what the CLI reads is checked, never cast.
   */
  call<S extends z.ZodType>(
    schema: S,
    method: string,
    path: string,
    body?: unknown,
    type?: string,
  ): Promise<z.output<S>>;
}

/** The API client: server and token from flags, then HALO_SERVER/HALO_TOKEN, then `halo login`. */
export function client(flags: { server?: string; token?: string }): Client {
  const cfg = loadConfig();
  const server = flags.server || process.env.HALO_SERVER || cfg.server;
  const token = flags.token || process.env.HALO_TOKEN || cfg.token;
  if (!server || !token)
    throw new CliError("not logged in: run `halo login --server URL --token T`", EXIT.usage);
  return {
    server,
    token,
    async call<S extends z.ZodType>(
      schema: S,
      method: string,
      path: string,
      body?: unknown,
      type = "application/json",
    ): Promise<z.output<S>> {
      let res: Response;
      try {
        res = await fetch(new URL(path, server), {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { "content-type": type }),
          },
          body:
            body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
        });
      } catch (e) {
        throw new CliError(
          `cannot reach ${server}: ${e instanceof Error ? e.message : String(e)}`,
          EXIT.error,
        );
      }
      const text = await res.text();
      let doc: Record<string, unknown> = {};
      try {
        doc = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        // Not JSON: a proxy's error page, or not a halo control plane at all.
        throw new CliError(
          `${server} answered ${res.status} with ${res.headers.get("content-type") ?? "no content type"}, not JSON: is it a halo control plane? (the URL is the Worker's, e.g. https://halo.example.workers.dev)`,
          EXIT.error,
        );
      }
      if (!res.ok) {
        const fields =
          (doc.errors as Array<{ path: string; message: string }> | undefined)
            ?.map((e) => `\n  ${e.path}: ${e.message}`)
            .join("") ?? "";
        const code = res.status === 401 || res.status === 403 ? EXIT.auth : EXIT.error;
        throw new CliError(
          `${res.status} ${String(doc.title ?? "")}: ${String(doc.detail ?? text)}${fields}`,
          code,
        );
      }
      if (res.status === 204) return undefined as z.output<S>;
      const parsed = schema.safeParse(doc);
      if (!parsed.success) {
        const i = parsed.error.issues[0];
        throw new CliError(
          `${server} answered ${method} ${path} with a body that is not halo's (${i?.path.join(".") || "body"}: ${i?.message}): is it another version of the control plane?`,
          EXIT.error,
        );
      }
      return parsed.data;
    },
  };
}
