// Every failure the API can answer, in words (docs/SPEC.md §20). The API's own messages follow.

export function describe(error) {
  const status = error?.status ?? 0;
  const retry = error?.retryAfter
    ? ` Try again in ${error.retryAfter} seconds.`
    : " Try again in a moment.";
  const said = (error?.messages ?? []).join(" ");
  switch (true) {
    case status === 0:
      return "The API could not be reached: the network failed or the server is down. Nothing was changed; try again.";
    case status === 400:
      return `The API could not read the request: ${said}`;
    case status === 401:
      return "The API key was refused: it is unknown, revoked or expired. Sign in again with a valid key.";
    case status === 403:
      return "This API key may not do this. Ask for a key that may: read-and-write for sources, administrator for keys.";
    case status === 404:
      return "Not found: it was deleted, or does not exist in this account.";
    case status === 409:
      return said || "It conflicts with the account as it is now.";
    case status === 412:
      return "The source changed since you opened it, so nothing was saved. Reload it to see the changes; what you typed is kept.";
    case status === 413:
      return "The request is too large for the API (64 KiB at most).";
    case status === 422:
      return said ? `The API refused it: ${said}` : "The API refused it.";
    case status === 429:
      return `Too many requests for this account.${retry}`;
    case status === 503:
      return `The service is briefly unavailable.${retry}`;
    case status >= 500:
      return `The API failed to answer (HTTP ${status}). Nothing may have been saved; try again.`;
    default:
      return `The API answered HTTP ${status}. ${said}`;
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

// A setting's value as a person says it, where the API's word is not one.
const VALUE_WORDS = {
  respect_origin: "Follow the origin's cache headers",
  override_origin: "Use these lifetimes, whatever the origin says",
  enforce_minimum: "Use these lifetimes at least",
  true: "Yes",
  false: "No",
};

/** An enumerated value in words; one without its words shows as it is. */
export function valueWords(value) {
  return VALUE_WORDS[value] ?? String(value);
}
