// What the console shows of a source, in one place (docs/SPEC.md §20): a field the API adds to a
// source (§21's secrets_updated_at, §22's health, §23's delivery) shows once it has a line here.
import { h, route, when } from "./dom.js";
import { apiWords } from "./words.js";

/** The signing token and its predecessor are shown masked, with reveal and copy. */
export const TOKEN_KEYS = [
  "secret_token",
  "previous_secret_token",
  "previous_secret_token_expires_at",
];

/** The source view's facts, in order: a label and how to show it. */
export const SOURCE_FIELDS = [
  ["Name", (s) => s.source],
  ["Storage type", (s) => typeName(s.source_type)],
  ["ID", (s) => h("code", {}, s.id)],
  ["Enabled", (s) => (s.enabled ? "Yes: the CDN serves it" : "No: the CDN does not serve it")],
  ["Health", (s) => healthText(s.health)],
  ["Last checked", (s) => when(s.health?.checked_at)],
  ["Created", (s) => when(s.created_at)],
  ["Updated", (s) => when(s.updated_at)],
  ["Secrets last changed", (s) => when(s.secrets_updated_at)],
];

/** The sources list's columns. */
export const LIST_COLUMNS = [
  ["Name", (s) => h("a", { href: route("sources", s.id) }, s.source)],
  ["Type", (s) => typeName(s.source_type)],
  ["Enabled", (s) => (s.enabled ? "Yes" : "No")],
  [
    "Health",
    // The status, and why when the last check did not pass (docs/SPEC.md §27).
    (s) => [
      h("span", { class: `health health-${s.health?.status}` }, s.health?.status ?? "unknown"),
      s.health?.error ? h("span", { class: "why" }, `: ${s.health.error.message}`) : null,
    ],
  ],
  ["Created", (s) => when(s.created_at)],
];

const TYPE_NAMES = {
  s3: "Amazon S3",
  gcs: "Google Cloud Storage",
  dos: "DigitalOcean Spaces",
  r2: "Cloudflare R2",
  akamai: "Akamai NetStorage",
  wasabi: "Wasabi",
  azure: "Azure Storage",
  url: "Web folder",
  proxy: "Web proxy",
};

/** A type's name for people; a type the console does not know yet shows as the API names it. */
export function typeName(type) {
  return TYPE_NAMES[type] ? `${TYPE_NAMES[type]} (${type})` : String(type);
}

export function healthText(health) {
  const status = health?.status ?? "unknown";
  const words =
    {
      unknown: "Unknown: not checked yet",
      ok: "OK: the storage answered the check",
      failed: "Failed",
      inconclusive: "Inconclusive",
    }[status] ?? status;
  return health?.error ? `${words}: ${apiWords(health.error.message)}` : words;
}
