// The audit trail's events as a person reads them (docs/SPEC.md §17): one event as a list item,
// and a list paged through `Link`. Shown by the Activity view and by a source's view.
import { fill, h, problem, route, when } from "./dom.js";
import { valueText } from "./fields.js";
import { describe } from "./words.js";

const ACTIONS = {
  created: "created",
  updated: "updated",
  deleted: "deleted",
  secret_token_rotated: "rotated the signing token of",
  health_changed: "saw the health change of",
  api_key_created: "created the API key",
  api_key_revoked: "revoked the API key",
};

/** An API key's event names the key by its label, and its id (docs/SPEC.md §26). */
function keyName(event) {
  const field = (name) => event.changes?.find((c) => c.field === name);
  const fact = (name) => field(name)?.to ?? field(name)?.from;
  return h("strong", {}, `${fact("api_key.label") || "without a label"} (${fact("api_key.id")})`);
}

/** One event as a list item; `linked` links the source's name to it. */
export function eventItem(event, { linked }) {
  const name =
    event.source_id === null
      ? keyName(event)
      : linked
        ? h("a", { href: route("sources", event.source_id) }, event.source)
        : h("strong", {}, event.source);
  const who = event.api_key_label ?? event.api_key_id ?? "someone";
  return h(
    "li",
    { class: "event" },
    h(
      "p",
      {},
      when(event.at),
      " · ",
      h("span", {}, who),
      ` ${ACTIONS[event.action] ?? event.action} `,
      name,
    ),
    event.changes?.length
      ? h(
          "ul",
          { class: "changes" },
          event.changes.map((c) =>
            h(
              "li",
              {},
              h("code", {}, c.field),
              "from" in c || "to" in c
                ? `: ${valueText(c.from)} → ${valueText(c.to)}`
                : " changed (a secret: not shown)",
            ),
          ),
        )
      : null,
  );
}

/**
 * A paged event list: `load(query)` answers one page. Next follows `Link`; Previous goes back
 * through the pages already seen.
 */
export function pagedEvents(load, { linked, empty }) {
  const list = h("ol", { class: "events" });
  const status = h("div");
  const previous = h(
    "button",
    { type: "button", class: "secondary", disabled: true },
    "Newer events",
  );
  const next = h("button", { type: "button", class: "secondary", disabled: true }, "Older events");
  const seen = [{}];
  let nextQuery = null;
  async function show() {
    previous.disabled = next.disabled = true;
    try {
      const page = await load({ limit: 25, ...seen[seen.length - 1] });
      nextQuery = page.next;
      fill(list, ...page.data.map((e) => eventItem(e, { linked })));
      fill(status, page.data.length || seen.length > 1 ? "" : empty);
      previous.disabled = seen.length === 1;
      next.disabled = !nextQuery;
    } catch (error) {
      fill(status, problem(describe(error)));
      previous.disabled = seen.length === 1;
    }
  }
  previous.addEventListener("click", () => {
    seen.pop();
    show();
  });
  next.addEventListener("click", () => {
    seen.push(nextQuery);
    show();
  });
  show();
  return h(
    "div",
    {},
    list,
    status,
    h("nav", { class: "pager", "aria-label": "Event pages" }, previous, next),
  );
}
