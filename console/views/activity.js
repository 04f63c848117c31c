// The audit trail (docs/SPEC.md §17): the account's events, or one source's, newest first, paged
// through `Link`.
import { api } from "../api.js";
import { fill, h } from "../dom.js";
import { pagedEvents } from "../events.js";

export function activityView(main) {
  fill(
    main,
    h("h1", { tabindex: "-1" }, "Activity"),
    h("p", {}, "Every change to this account’s sources and API keys, newest first."),
    pagedEvents((query) => api.listEvents(query), {
      linked: true,
      empty: "Nothing has happened in this account yet.",
    }),
  );
}
