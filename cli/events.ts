import WebSocket from "ws";

/** One frame of a cluster's event stream. */
export interface Event {
  type: string;
  at: string;
  [k: string]: unknown;
}

/**
 * Follows GET /v1/clusters/:c/events. Resolves when `onEvent` returns true, `stop` is called,
 * or the stream closes; rejects when it cannot be opened (callers fall back to polling).
 */
export function followEvents(
  server: string,
  token: string,
  cluster: string,
  onEvent: (e: Event) => boolean | void,
  control: { stop?: () => void } = {},
): Promise<void> {
  const url = new URL(`/v1/clusters/${cluster}/events`, server);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
    control.stop = () => {
      ws.close(1000);
      resolve();
    };
    let opened = false;
    ws.on("open", () => (opened = true));
    ws.on("message", (data) => {
      let e: Event;
      try {
        e = JSON.parse(String(data)) as Event;
      } catch {
        return;
      }
      if (onEvent(e) === true) ws.close(1000);
    });
    ws.on("unexpected-response", (_req, res) =>
      reject(new Error(`events: ${res.statusCode ?? "no"} answer from ${server}`)),
    );
    ws.on("error", (err) => (opened ? resolve() : reject(err)));
    ws.on("close", () => resolve());
  });
}
