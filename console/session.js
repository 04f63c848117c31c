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
