import { z } from "zod";

// The API's certificate schemas: what a topology change was checked against, a node's TLS
// standing, and what each master serves (re-exported by api-schemas.ts).

/** A name a change points a node at that a master's observed certificate lacks. */
const Uncovered = z.object({ node: z.string(), name: z.string(), masters: z.array(z.string()) });

/** What a topology change was checked against: the masters' observed certificates. */
export const CertificateCheck = z.object({
  /** masters whose certificate no agent has reported yet: not checked */
  unobserved: z.array(z.string()),
  /** names not covered (only when forced: otherwise the change is refused) */
  uncovered: z.array(Uncovered),
  forced: z.boolean(),
});

/**
 * A node's TLS standing: whether the host of its apiserver URL is covered by the observed
 * certificate of every master that may serve it (null: none observed yet), the masters lacking
 * it, whether those masters chain to different CAs, and their soonest expiry.
 */
export const TlsStatus = z.object({
  covered: z.boolean().nullable(),
  missing: z.array(z.object({ master: z.string(), name: z.string() })),
  caMismatch: z.boolean(),
  expiresInDays: z.number().int().nullable(),
  /** `warning` within the live policy's certWarningDays, `alert` within 7 days */
  expiry: z.enum(["warning", "alert"]).nullable(),
});

/** GET .../certificates: the serving certificate each master was last seen presenting. */
export const CertificateList = z.object({
  certificates: z.array(
    z.object({
      master: z.string(),
      fingerprint: z.string(),
      dns: z.array(z.string()),
      ips: z.array(z.string()),
      issuer: z.string(),
      /** the SHA-256 fingerprint of the CA it chains to, when the observer held that CA */
      ca: z.string().nullable(),
      notAfter: z.string(),
      /** the node whose agent saw it, and when */
      observer: z.string(),
      observedAt: z.string(),
    }),
  ),
});
