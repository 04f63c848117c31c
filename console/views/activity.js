// The audit trail (docs/SPEC.md §17, §27): the account's events, or one source's, newest first,
// paged through `Link`, each change a sentence; filtered by source (the source's own listing) and
// by what happened (kept from the account's pages).
import { api } from "../api.js";
import { fill, h, problem, uniqueId } from "../dom.js";
import { pagedEvents } from "../events.js";
import { describe } from "../words.js";

const ACTIONS = [
  ["", "Everything"],
  ["created", "Sources created"],
  ["updated", "Sources changed"],
  ["deleted", "Sources deleted"],
  ["secret_token_rotated", "Signing tokens rotated"],
  ["health_changed", "Health changes"],
  ["api_key_created api_key_revoked", "API keys made or revoked"],
];

export function activityView(main) {
  const nameId = uniqueId("activity-source");
  const actionId = uniqueId("activity-action");
  const name = h("input", { id: nameId, type: "search", autocomplete: "off" });
  const action = h(
    "select",
    { id: actionId },
    ACTIONS.map(([value, words]) => h("option", { value }, words)),
  );
  const list = h("div");
  const form = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Filter the activity" },
    h("div", { class: "field" }, h("label", { for: nameId }, "Source name (exactly)"), name),
    h("div", { class: "field" }, h("label", { for: actionId }, "What happened"), action),
    h("button", { type: "submit" }, "Show"),
  );
  async function show(event) {
    event?.preventDefault();
    const actions = action.value ? action.value.split(" ") : null;
    const keep = actions ? (e) => actions.includes(e.action) : undefined;
    const wanted = name.value.trim();
    if (!wanted) {
      fill(
        list,
        pagedEvents((query) => api.listEvents(query), {
          linked: true,
          keep,
          empty: actions
            ? "Nothing like that has happened yet."
            : "Nothing has happened in this account yet.",
        }),
      );
      return;
    }
    try {
      const found = (await api.listSources({ name: wanted })).data[0];
      if (!found) {
        fill(list, h("p", { class: "empty" }, `No source is named ${wanted}.`));
        return;
      }
      fill(
        list,
        pagedEvents((query) => api.sourceEvents(found.id, query), {
          linked: true,
          keep,
          empty: "Nothing like that has happened to this source.",
        }),
      );
    } catch (error) {
      fill(list, problem(describe(error)));
    }
  }
  form.addEventListener("submit", show);
  action.addEventListener("change", show);
  fill(
    main,
    h("h1", { tabindex: "-1" }, "Activity"),
    h("p", {}, "Every change to this account’s sources and API keys, newest first."),
    form,
    list,
  );
  show();
}
