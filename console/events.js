// The audit trail's events as a person reads them (docs/SPEC.md §17, §27): one event as a list
// item, each change a sentence ("Bucket: photos-old → photos"), and a list paged through `Link`,
// optionally keeping only some events. Shown by the Activity view and by a source's view.
import { fill, h, problem, route, when } from "./dom.js";
import { describe, fieldWords, valueWords } from "./words.js";

const ACTIONS = {
  created: "created",
  updated: "updated",
  deleted: "deleted",
  secret_token_rotated: "rotated the signing token of",
  health_changed: "saw the health change of",
  api_key_created: "created the API key",
  api_key_revoked: "revoked the API key",
};

/** One change as a sentence; the values, the person's own data, marked as such. */
export function changeSentence(change) {
  const name = fieldWords(change.field);
  const data = (value) => h("span", { class: "data" }, valueWords(value));
  const from = "from" in change;
  const to = "to" in change;
  if (!from && !to) return `${name} changed (a secret: its value is never shown)`;
  if (!from) return [`${name}: `, data(change.to)];
  if (!to) return [`${name}: `, data(change.from), " (removed)"];
  return [`${name}: `, data(change.from), " → ", data(change.to)];
}

/** An API key's event names the key by its label, and its id (docs/SPEC.md §26). */
function keyName(event) {
  const field = (name) => event.changes?.find((c) => c.field === name);
  const fact = (name) => field(name)?.to ?? field(name)?.from;
  return h(
    "strong",
    { class: "data" },
    `${fact("api_key.label") || "without a label"} (${fact("api_key.id")})`,
  );
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
          event.changes.map((c) => h("li", {}, changeSentence(c))),
        )
      : null,
  );
}

// How many pages of the API one page of a filtered list may read, so that a rare action costs
// a bounded wait.
const MAX_READS = 8;

/**
 * A paged event list: `load(query)` answers one page. Next follows `Link`; Previous goes back
 * through the pages already seen. With `keep`, only the events it keeps are shown: pages are read
 * until 25 are found, the end, or a few reads.
 */
export function pagedEvents(load, { linked, empty, keep = () => true }) {
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
      let query = seen[seen.length - 1];
      const shown = [];
      let following = null;
      for (let reads = 0; reads < MAX_READS; reads += 1) {
        const page = await load({ limit: 25, ...query });
        shown.push(...page.data.filter(keep));
        following = page.next;
        if (shown.length >= 25 || !following) break;
        query = following;
      }
      nextQuery = following;
      fill(list, ...shown.map((e) => eventItem(e, { linked })));
      fill(status, shown.length || seen.length > 1 ? "" : empty);
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
