// The dashboard's one way to the API: the admin token from sessionStorage as a bearer header
// (never a cookie), problem+json errors turned into messages that name the fields.

const KEY = "halo.adminToken";

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (t) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

/** An API error: the HTTP status and the problem's detail, with field paths when there are any. */
export class ApiError extends Error {
  constructor(status, problem) {
    const fields = (problem?.errors ?? []).map((e) => `${e.path || "(body)"}: ${e.message}`);
    super(
      fields.length > 0
        ? fields.join("; ")
        : (problem?.detail ?? problem?.title ?? `the server answered ${status}`),
    );
    this.status = status;
    this.problem = problem;
  }
}

/** Calls the API; resolves with {status, body, etag}, or throws ApiError for any non-2xx. */
export async function api(method, path, opts = {}) {
  const headers = { authorization: `Bearer ${opts.token ?? token.get() ?? ""}` };
  if (opts.type) headers["content-type"] = opts.type;
  if (opts.ifMatch !== undefined) headers["if-match"] = `"${opts.ifMatch}"`;
  let res;
  try {
    res = await fetch(path, { method, headers, body: opts.body });
  } catch (e) {
    throw new ApiError(0, { detail: `cannot reach the control plane: ${e.message}` });
  }
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) throw new ApiError(res.status, body);
  return { status: res.status, body, etag: res.headers.get("etag") };
}

export const get = (path) => api("GET", path).then((r) => r.body);
export const cluster = (c) => `/v1/clusters/${encodeURIComponent(c)}`;

/**
 * Follows the cluster's events WebSocket. A browser cannot set headers on a WebSocket, so each
 * connection first asks for a single-use ticket (an authenticated POST) and offers it as the
 * `ticket.` subprotocol: the admin token itself never travels in a WebSocket header. Calls onEvent per frame; onState with "live",
 * or "polling" when the stream cannot be held (the caller then polls). Returns a closer.
 */
export function followEvents(c, onEvent, onState) {
  let ws = null;
  let closed = false;
  let retry = 1000;
  const open = async () => {
    if (closed) return;
    const url = new URL(`${cluster(c)}/events`, location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    try {
      const { ticket } = (await api("POST", `${cluster(c)}/events/ticket`)).body;
      if (closed) return;
      ws = new WebSocket(url, ["halo.v1", `ticket.${ticket}`]);
    } catch {
      onState("polling");
      if (!closed) setTimeout(open, (retry = Math.min(retry * 2, 30_000)));
      return;
    }
    ws.onopen = () => {
      retry = 1000;
      onState("live");
    };
    ws.onmessage = (m) => {
      try {
        onEvent(JSON.parse(m.data));
      } catch {
        // a frame that is not JSON is not ours: ignored
      }
    };
    ws.onclose = () => {
      onState("polling");
      if (!closed) setTimeout(open, (retry = Math.min(retry * 2, 30_000)));
    };
  };
  void open();
  return () => {
    closed = true;
    ws?.close();
  };
}

/** Text for a node or value, never markup: every string from the API goes in as text. */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "class") e.className = v;
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

/** A status word with its icon beside the colour, so nothing is told by colour alone. */
export function mark(state, text) {
  const icon = state === "ok" ? "✓" : state === "bad" ? "✗" : state === "warn" ? "!" : "?";
  return el("span", { class: `badge ${state}` }, `${icon} ${text}`);
}

export const ago = (iso) => {
  if (!iso) return "never";
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  return s < 60
    ? `${s} s ago`
    : s < 3600
      ? `${Math.round(s / 60)} min ago`
      : `${Math.round(s / 3600)} h ago`;
};
