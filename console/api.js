// The one place that knows each API call: its method, path, headers and body. Views call these
// and get `{data, etag, next}` back, or an `ApiFailure` that `words.describe` puts in words.
import { session } from "./session.js";

// The console is served at `<stage>/console/`, the API at `<stage>/v1/…`: same origin, no CORS.
const API_ROOT = new URL("../", document.baseURI);

export class ApiFailure extends Error {
  constructor(status, messages = [], retryAfter = null) {
    super(`HTTP ${status}`);
    this.status = status;
    this.messages = messages;
    this.retryAfter = retryAfter;
  }
}

async function call(method, path, { query, body, headers = {} } = {}) {
  const url = new URL(path, API_ROOT);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  const sent = { "imageboss-api-key": session.key ?? "", accept: "application/json", ...headers };
  if (body !== undefined) sent["content-type"] = "application/json";
  let response;
  try {
    response = await fetch(url, {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
    });
  } catch {
    throw new ApiFailure(0);
  }
  const text = await response.text().catch(() => "");
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const messages = Array.isArray(data?.errors) ? data.errors.map(String) : [];
    throw new ApiFailure(response.status, messages, response.headers.get("retry-after"));
  }
  return {
    data,
    etag: response.headers.get("etag"),
    next: nextQuery(response.headers.get("link")),
  };
}

/** The query of the `Link: <…>; rel="next"` target (RFC 8288), or null on the last page. */
function nextQuery(link) {
  const match = /<([^>]*)>\s*;\s*rel="?next"?/.exec(link ?? "");
  if (!match) return null;
  return Object.fromEntries(new URL(match[1], API_ROOT).searchParams);
}

const source = (id) => `v1/sources/${encodeURIComponent(id)}`;

export const api = {
  /** The calling key (docs/SPEC.md §19). */
  apiKey: () => call("GET", "v1/api_key"),
  /** A page of sources: `query` holds limit, cursor, sort and the filters (§11). */
  listSources: (query) => call("GET", "v1/sources", { query }),
  getSource: (id) => call("GET", source(id)),
  createSource: (fields, { verify, idempotencyKey }) =>
    call("POST", "v1/sources", {
      query: { verify: verify ? "true" : undefined },
      body: { source: fields },
      headers: { "idempotency-key": idempotencyKey },
    }),
  updateSource: (id, changes, { etag, verify }) =>
    call("PATCH", source(id), {
      query: { verify: verify ? "true" : undefined },
      body: { source: changes },
      headers: etag ? { "if-match": etag } : {},
    }),
  deleteSource: (id, etag) =>
    call("DELETE", source(id), { headers: etag ? { "if-match": etag } : {} }),
  rotateToken: (id, gracePeriod, etag) =>
    call("POST", `${source(id)}/rotate_secret_token`, {
      body: { grace_period: gracePeriod },
      headers: etag ? { "if-match": etag } : {},
    }),
  /** The storage check (§14), and with `path` the object check (§25). */
  verifySource: (id, path) =>
    call("POST", `${source(id)}/verify`, { body: path ? { path } : undefined }),
  /** The account's keys (§26): listed by any key, made and revoked by an administrator key. */
  listKeys: () => call("GET", "v1/api_keys"),
  createKey: (body) => call("POST", "v1/api_keys", { body }),
  revokeKey: (id) => call("DELETE", `v1/api_keys/${encodeURIComponent(id)}`),
  /** The account's events, or one source's (§17), newest first. */
  listEvents: (query) => call("GET", "v1/events", { query }),
  sourceEvents: (id, query) => call("GET", `${source(id)}/events`, { query }),
};
