// The API key lives in this tab's sessionStorage only (docs/SPEC.md §20): never in a URL, a cookie,
// the browser's lasting storage or a log line. Closing the tab or signing out forgets it.
const KEY = "image-sources.api-key";

export const session = {
  get key() {
    return sessionStorage.getItem(KEY);
  },
  signIn(key) {
    sessionStorage.setItem(KEY, key);
  },
  signOut() {
    sessionStorage.removeItem(KEY);
  },
};

/** Whether the signed-in key may change sources: `write` and `admin` keys (docs/SPEC.md §26). */
export function mayWrite(caller) {
  return caller?.scope === "write" || caller?.scope === "admin";
}

/** Whether the signed-in key may create and revoke keys: an `admin` key (docs/SPEC.md §26). */
export function mayManageKeys(caller) {
  return caller?.scope === "admin";
}

/** What the key may do, in a word a person reads in the header. */
export function scopeWords(caller) {
  return (
    { read: "read-only", write: "read and write", admin: "administrator" }[caller?.scope] ??
    "read-only"
  );
}
