import { createRoute, z } from "@hono/zod-openapi";
import { trafficDiagram } from "../../shared/diagram.ts";
import { RENDERER_VERSION } from "../../shared/kinds/registry.ts";
import {
  BundleSchema,
  CertificateList,
  DiagramResponse,
  EndpointsResponse,
  NodeList,
} from "../../shared/api-schemas.ts";
import { access, json, params, problems, router } from "../api.ts";
import { certificateRows } from "../db/certs.ts";
import { db } from "../db/client.ts";
import { requireCluster } from "../db/topology-store.ts";
import { desiredPlan, desiredState } from "../desired-state.ts";
import { nodeStatuses, pendingHosts } from "../node-view.ts";

const cluster = { params: z.object({ c: params.c }) };
const node = { params: z.object({ c: params.c, h: params.h }) };

/** Per-node status, endpoints and config (the bundle), and the cluster's traffic diagram. */
export const nodeRoutes = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/{c}/nodes",
      ...access.admin,
      request: cluster,
      responses: { 200: json(NodeList), ...problems() },
    }),
    async (c) => {
      const d = db(c.env.DB);
      const name = c.req.valid("param").c;
      return c.json(
        { nodes: await nodeStatuses(d, name), pending: await pendingHosts(d, name) },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{c}/certificates",
      ...access.admin,
      description:
        "the serving certificate each master was last seen presenting (by its nodes' TLS probes, or read from disk by its own agent): what topology changes are checked against",
      request: cluster,
      responses: { 200: json(CertificateList), ...problems() },
    }),
    async (c) => {
      const d = db(c.env.DB);
      const name = c.req.valid("param").c;
      await requireCluster(d, name);
      const rows = await certificateRows(d, name);
      return c.json(
        {
          certificates: rows.map((r) => ({
            master: r.master,
            ...r.cert,
            observer: r.observer,
            observedAt: new Date(r.observedAt).toISOString(),
          })),
        },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{c}/diagram",
      ...access.admin,
      description:
        "the traffic diagram: masters, etcd members, the external LB and every distinct path nodes take to the apiserver and etcd",
      request: cluster,
      responses: { 200: json(DiagramResponse), ...problems() },
    }),
    async (c) => {
      const state = await desiredState(db(c.env.DB), c.req.valid("param").c);
      return c.json({ version: state.cluster.version, ...trafficDiagram(state.latest) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{c}/nodes/{h}/endpoints",
      ...access.adminOrNode,
      request: node,
      responses: { 200: json(EndpointsResponse), ...problems() },
    }),
    async (c) => {
      const { c: cluster, h: host } = c.req.valid("param");
      return c.json((await desiredPlan(db(c.env.DB), cluster, host)).endpoints, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{c}/nodes/{h}/config",
      ...access.adminOrNode,
      description: "the node's bundle: each artifact's kind, spec, rendered content and sha256",
      request: node,
      responses: { 200: json(BundleSchema), ...problems() },
    }),
    async (c) => {
      const { c: cluster, h: host } = c.req.valid("param");
      const { bundle } = await desiredPlan(db(c.env.DB), cluster, host);
      return c.json({ ...bundle, renderer: RENDERER_VERSION }, 200, {
        etag: `"${bundle.hash}"`,
      });
    },
  );
