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
  /** another writer committed the version this change would have written */
  versionRace: "version-race",
  uncoveredName: "uncovered-name",
  tooLarge: "payload-too-large",
  unsupportedMediaType: "unsupported-media-type",
  upgradeRequired: "upgrade-required",
  tooManyRequests: "too-many-requests",
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
  "version-race": "Topology changed concurrently",
  "uncovered-name": "Name not covered by the apiservers' certificates",
  "payload-too-large": "Payload too large",
  "unsupported-media-type": "Unsupported media type",
  "upgrade-required": "Upgrade required",
  "too-many-requests": "Too many requests",
  internal: "Internal error",
};

/** Each error's HTTP status: the only place an error becomes HTTP. */
const STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  validation: 422,
  unauthorized: 401,
  forbidden: 403,
  "not-found": 404,
  conflict: 409,
  "host-registered": 409,
  "precondition-failed": 412,
  "version-race": 412,
  "uncovered-name": 422,
  "payload-too-large": 413,
  "unsupported-media-type": 415,
  "upgrade-required": 426,
  "too-many-requests": 429,
  internal: 500,
};

/**
 * The one error the shells throw (storage, the rollout alarm, routes), in halo's terms: its
 * code; `app.onError` turns it into problem+json with the code's status.
 */
export class AppError extends Error {
  readonly status: ContentfulStatusCode;
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly errors: Issue[] = [],
  ) {
    super(detail);
    this.status = STATUS[code];
  }
}

export const invalid = (issues: Issue[], detail?: string) =>
  new AppError(
    ErrorCode.validation,
    detail ?? issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; "),
    issues,
  );

/** The rate limits' window: a client over one may try again after it. */
export const RETRY_AFTER_SECONDS = 10;

export const tooMany = (what: string) =>
  new AppError(
    ErrorCode.tooManyRequests,
    `too many ${what} from this address; try again in ${RETRY_AFTER_SECONDS} s`,
  );

export const notFound = (what: string) => new AppError(ErrorCode.notFound, `${what} not found`);

/** Renders an RFC 9457 problem document; validation problems carry each field path. */
export function problem(c: Context, e: AppError): Response {
  const body: Record<string, unknown> = {
    type: `https://halo.dev/problems/${e.code}`,
    title: TITLES[e.code],
    status: e.status,
    detail: e.detail,
  };
  if (e.errors.length > 0) body.errors = e.errors;
  return c.body(JSON.stringify(body), e.status, {
    "content-type": "application/problem+json",
    ...(e.code === ErrorCode.tooManyRequests ? { "retry-after": String(RETRY_AFTER_SECONDS) } : {}),
  });
}
