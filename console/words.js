// Every failure the API can answer, in words (docs/SPEC.md §20). The API's own messages follow.

export function describe(error) {
  // Not an answer of the API's: a fault of the console itself, said as one (never as the network).
  if (error && !("status" in error)) {
    return `The console failed to show this (${error.message}). Reload the page; if it happens again, tell the people who run it.`;
  }
  const status = error?.status ?? 0;
  const retry = error?.retryAfter
    ? ` Try again in ${error.retryAfter} seconds.`
    : " Try again in a moment.";
  const said = (error?.messages ?? []).join(" ");
  switch (true) {
    case status === 0:
      return "The API could not be reached: the network failed or the server is down. Nothing was changed; try again.";
    case status === 400:
      return `The API could not read the request: ${apiWords(said)}`;
    case status === 401:
      return "The API key was refused: it is unknown, revoked or expired. Sign in again with a valid key.";
    case status === 403:
      return "This API key may not do this. Ask for a key that may: read-and-write for sources, administrator for keys.";
    case status === 404:
      return "Not found: it was deleted, or does not exist in this account.";
    case status === 409:
      return apiWords(said) || "It conflicts with the account as it is now.";
    case status === 412:
      return "The source changed since you opened it, so nothing was saved. Reload it to see the changes; what you typed is kept.";
    case status === 413:
      return "The request is too large for the API (64 KiB at most).";
    case status === 422:
      return said ? `The API refused it: ${apiWords(said)}` : "The API refused it.";
    case status === 429:
      return `Too many requests for this account.${retry}`;
    case status === 503:
      return `The service is briefly unavailable.${retry}`;
    case status >= 500:
      return "The API failed to answer. Nothing may have been saved; try again.";
    default:
      return `The API did not do it. ${apiWords(said)}`;
  }
}

// Words people write in capitals.
const CAPITALS = { id: "ID", url: "URL", sas: "SAS", ttl: "lifetime", xml: "XML", cname: "CNAME" };

// Names a person knows, where the API's key is not one (docs/SPEC.md §27).
const NAMES = {
  require_token: "Require signed addresses",
  default_params: "Default image settings",
  crossdomain_xml: "Flash cross-domain file",
  append_query: "Pass the request's query on",
  behavior: "Cache behaviour",
  ttl: "Cache lifetime",
  error_ttl: "Lifetime of an error",
  error: "When the origin fails",
  missing: "When the image is missing",
  source: "Name",
  url_signature: "Signature of image addresses",
  annotation: "Note",
};

/** Field names for people: `access_key_id` → "Access key ID". */
export function label(key) {
  if (NAMES[key]) return NAMES[key];
  const text = String(key)
    .split("_")
    .map((word) => CAPITALS[word] ?? word)
    .join(" ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// What a change's field is called on screen; any other is its last part in words.
const FIELD_WORDS = {
  source: "Name",
  source_type: "Storage type",
  enabled: "Enabled",
  secrets_updated_at: "Secrets last changed",
  "health.status": "Health",
  "health.error.code": "Health problem",
  "credentials.require_token": "Signed addresses required",
  "credentials.secret_token": "Signing token",
  "credentials.previous_secret_token": "Previous signing token",
  "delivery.custom_domains": "Custom domains",
  "delivery.subdomains": "Subdomains",
  "delivery.default_params": "Default image settings",
  "delivery.cache": "Cache",
  "delivery.fallback_images": "Fallback images",
  "delivery.crossdomain_xml": "Flash cross-domain file",
  "delivery.url_signature": "Signature of image addresses",
  "delivery.annotation": "Note",
  "api_key.id": "Key ID",
  "api_key.label": "Key name",
  "api_key.scope": "Access",
  "api_key.expires_at": "Stops working",
};

/** What a field (`credentials.bucket`, `delivery.cache`) is called on screen. */
export function fieldWords(field) {
  return FIELD_WORDS[field] ?? label(String(field).split(".").pop());
}

// A setting's value as a person says it, where the API's word is not one.
const VALUE_WORDS = {
  respect_origin: "Follow the origin's cache headers",
  override_origin: "Use these lifetimes, whatever the origin says",
  enforce_minimum: "Use these lifetimes at least",
  imageboss: "ImageBoss's (a bossToken parameter)",
  imgix: "imgix's (an s parameter, as imgix's libraries sign)",
  true: "Yes",
  false: "No",
  "****": "Hidden (a secret is never shown)",
};

/** A value in words: lists joined, settings as "name: value", yes and no, nothing as "none". */
export function valueWords(value) {
  if (value === null || value === undefined) return "none";
  if (value === true) return "yes";
  if (value === false) return "no";
  if (typeof value === "string" && VALUE_WORDS[value]) return VALUE_WORDS[value];
  if (Array.isArray(value)) return value.length ? value.map(valueWords).join(", ") : "none";
  if (typeof value === "object") {
    const entries = Object.entries(value);
    return entries.length
      ? entries
          .map(([k, v]) => `${label(k)}: ${k.endsWith("ttl") ? durationWords(v) : valueWords(v)}`)
          .join("; ")
      : "none";
  }
  return String(value);
}

/** Lifetimes a person chooses from, in seconds and in words. */
export const DURATIONS = [
  [1, "1 second"],
  [60, "1 minute"],
  [300, "5 minutes"],
  [1800, "30 minutes"],
  [3600, "1 hour"],
  [21600, "6 hours"],
  [86400, "1 day"],
  [604800, "1 week"],
  [2592000, "30 days"],
  [31536000, "1 year"],
];

/** Seconds in words: "1 day". */
export function durationWords(seconds) {
  return DURATIONS.find(([s]) => s === seconds)?.[1] ?? `${seconds} seconds`;
}

/**
 * A message of the API's as a person reads it (docs/SPEC.md §27): without the HTTP status it
 * quotes, and with the fields it names ("delivery.cache.ttl", "Credential bucket") called as the
 * form calls them.
 */
export function apiWords(message) {
  return String(message)
    .replace(/\s*\(HTTP \d{3}\)/g, "")
    .replace(/\bdelivery(\.[a-z_]+)+/g, (path) => `"${fieldWords(path)}"`)
    .replace(/\bCredential ([a-z_]+)/g, (_, key) => `"${label(key)}"`)
    .replace(/\bParameter ([a-z_]+)/g, (_, key) => `"${label(key)}"`);
}
