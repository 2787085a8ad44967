import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Issue } from "../shared/result.ts";

/** Every error the API can answer with; the code is also the problem type's last segment. */
export const ErrorCode = {
  validation: "validation",
  unauthorized: "unauthorized",
  forbidden: "forbidden",
  notFound: "not-found",
  conflict: "conflict",
  hostRegistered: "host-registered",
  preconditionFailed: "precondition-failed",
  tooLarge: "payload-too-large",
  unsupportedMediaType: "unsupported-media-type",
  internal: "internal",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const TITLES: Record<ErrorCode, string> = {
  validation: "Invalid input",
  unauthorized: "Authentication required",
  forbidden: "Not allowed",
  "not-found": "Not found",
  conflict: "Conflict",
  "host-registered": "Host already registered",
  "precondition-failed": "Precondition failed",
  "payload-too-large": "Payload too large",
  "unsupported-media-type": "Unsupported media type",
  internal: "Internal error",
};

/** The one error type routes throw; `app.onError` turns it into problem+json. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly status: ContentfulStatusCode,
    readonly detail: string,
    readonly errors: Issue[] = [],
  ) {
    super(detail);
  }
}

export const invalid = (issues: Issue[], detail?: string) =>
  new AppError(
    ErrorCode.validation,
    422,
    detail ?? issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; "),
    issues,
  );

export const notFound = (what: string) =>
  new AppError(ErrorCode.notFound, 404, `${what} not found`);

/** Renders an RFC 9457 problem document; validation problems carry each field path. */
export function problem(c: Context, e: AppError): Response {
  const body: Record<string, unknown> = {
    type: `https://halo.dev/problems/${e.code}`,
    title: TITLES[e.code],
    status: e.status,
    detail: e.detail,
  };
  if (e.errors.length > 0) body.errors = e.errors;
  return c.body(JSON.stringify(body), e.status, { "content-type": "application/problem+json" });
}
