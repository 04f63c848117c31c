// The sources list (docs/SPEC.md §11, §20, §27): paged through `Link` both ways, sorted, filtered
// by type, enabled and health, searched by name prefix; the filters and the page are kept in the
// address, so a reload, Back from a source and a shared link show the same page.
import { api } from "../api.js";
import { claim, fill, h, problem, route, uniqueId } from "../dom.js";
import { LIST_COLUMNS, typeName } from "../fields.js";
import { contract, healthStatuses, sourceTypes } from "../schema.js";
import { mayWrite } from "../session.js";
import { describe } from "../words.js";

const PAGE = 50;
const SORTS = [
  ["created_at", "Oldest first"],
  ["-created_at", "Newest first"],
  ["name", "Name, A to Z"],
  ["-name", "Name, Z to A"],
];

// What the person chose, kept while they move between views (a filter, the page they were on).
const state = { filters: { sort: "created_at" }, pages: [{}] };
const FILTERS = ["q", "source_type", "enabled", "health", "sort"];

/** The state the address names: its filters, and its page (the cursor of a later page, and its
 * number). The pages seen before it are known only if this tab saw them. */
function fromAddress(query) {
  if (!query || !Object.keys(query).length) return;
  const filters = { sort: "created_at" };
  for (const name of FILTERS) if (query[name]) filters[name] = query[name];
  const known = state.pages[state.pages.length - 1]?.cursor === query.cursor;
  const sameFilters = JSON.stringify(filters) === JSON.stringify(state.filters);
  if (!(known && sameFilters)) {
    // The pages between the first and this one are unknown here (null): "Previous" then goes
    // back to the first.
    const number = query.cursor ? Math.max(2, Math.min(Number(query.page) || 2, 10_000)) : 1;
    state.pages = query.cursor
      ? [{}, ...Array(number - 2).fill(null), { cursor: query.cursor }]
      : [{}];
  }
  state.filters = filters;
}

/**
 * Puts the state in the address without a new history entry or a new render; not when the
 * address already names another screen (the person moved on, and the render for it has not run
 * yet: rewriting the address then would take them back here).
 */
function remember() {
  const path = location.hash.split("?")[0];
  if (path !== route("sources") && path !== "" && path !== "#/") return;
  const query = new URLSearchParams();
  for (const name of FILTERS) {
    const value = state.filters[name];
    if (value && !(name === "sort" && value === "created_at")) query.set(name, value);
  }
  const cursor = state.pages[state.pages.length - 1]?.cursor;
  if (cursor) {
    query.set("cursor", cursor);
    query.set("page", String(state.pages.length));
  }
  const text = query.toString();
  history.replaceState(null, "", `${route("sources")}${text ? `?${text}` : ""}`);
}

function select(labelText, name, options, value) {
  const id = uniqueId(name);
  const input = h(
    "select",
    { id, name },
    options.map(([v, text]) => h("option", { value: v, selected: v === (value ?? "") }, text)),
  );
  return {
    input,
    element: h("div", { class: "field" }, h("label", { for: id }, labelText), input),
  };
}

export async function sourcesView(main, { caller, query }) {
  // The person may move on while a page loads: a late page then neither replaces the view they
  // moved to nor rewrites the address.
  const shown = claim(main);
  fromAddress(query);
  // The choices come from the API's description; without it, the list still works unfiltered.
  let types = [];
  let statuses = [];
  try {
    const doc = await contract();
    types = sourceTypes(doc).map((t) => t.type);
    statuses = healthStatuses(doc);
  } catch {
    types = [];
  }
  if (!shown()) return;
  const f = state.filters;
  const search = h("input", {
    id: "search",
    name: "q",
    type: "search",
    value: f.q ?? "",
    autocomplete: "off",
  });
  const type = select(
    "Type",
    "source_type",
    [["", "All types"], ...types.map((t) => [t, typeName(t)])],
    f.source_type,
  );
  const enabled = select(
    "Enabled",
    "enabled",
    [
      ["", "Enabled or not"],
      ["true", "Enabled"],
      ["false", "Disabled"],
    ],
    f.enabled,
  );
  const health = select(
    "Health",
    "health",
    [["", "Any health"], ...statuses.map((x) => [x, x])],
    f.health,
  );
  const sort = select("Sort", "sort", SORTS, f.sort);
  const results = h("div", { class: "results" });
  const previous = h("button", { type: "button", class: "secondary" }, "Previous page");
  const next = h("button", { type: "button", class: "secondary" }, "Next page");
  const where = h("span", { class: "page-number" });
  let nextQuery = null;

  async function show() {
    previous.disabled = next.disabled = true;
    results.setAttribute("aria-busy", "true");
    try {
      const page = await api.listSources({
        limit: PAGE,
        ...state.filters,
        ...state.pages[state.pages.length - 1],
      });
      if (!shown()) return;
      nextQuery = page.next;
      remember();
      fill(results, table(page.data, caller));
      fill(where, `Page ${state.pages.length}`);
      previous.textContent =
        state.pages[state.pages.length - 2] === null ? "First page" : "Previous page";
      next.disabled = !nextQuery;
    } catch (error) {
      fill(results, problem(describe(error)));
    } finally {
      previous.disabled = state.pages.length === 1;
      results.removeAttribute("aria-busy");
    }
  }

  function apply(event) {
    event?.preventDefault();
    state.filters = {
      q: search.value.trim() || undefined,
      source_type: type.input.value || undefined,
      enabled: enabled.input.value || undefined,
      health: health.input.value || undefined,
      sort: sort.input.value,
    };
    state.pages = [{}];
    show();
  }
  for (const control of [type, enabled, health, sort])
    control.input.addEventListener("change", apply);
  previous.addEventListener("click", () => {
    state.pages.pop();
    if (state.pages[state.pages.length - 1] === null) state.pages = [{}];
    show().then(() => results.querySelector("a")?.focus());
  });
  next.addEventListener("click", () => {
    state.pages.push(nextQuery);
    show().then(() => results.querySelector("a")?.focus());
  });

  fill(
    main,
    h(
      "div",
      { class: "title" },
      h("h1", { tabindex: "-1" }, "Sources"),
      mayWrite(caller) ? h("a", { class: "button", href: route("new") }, "New source") : null,
    ),
    h(
      "form",
      { class: "filters", role: "search", "aria-label": "Find sources", onsubmit: apply },
      h("div", { class: "field" }, h("label", { for: "search" }, "Name starts with"), search),
      type.element,
      enabled.element,
      health.element,
      sort.element,
      h("button", { type: "submit" }, "Search"),
    ),
    results,
    h("nav", { class: "pager", "aria-label": "Pages" }, previous, where, next),
  );
  await show();
}

function table(sources, caller) {
  if (!sources.length) {
    const filtered = Object.entries(state.filters).some(([k, v]) => k !== "sort" && v);
    if (filtered || state.pages.length > 1)
      return h("p", { class: "empty" }, "No source matches these filters.");
    return h(
      "div",
      { class: "empty card" },
      h("h2", {}, "No sources yet"),
      h(
        "p",
        {},
        "A source tells the CDN where your master images are: a bucket, a container or a web folder.",
      ),
      mayWrite(caller)
        ? h("a", { class: "button", href: route("new") }, "Create your first source")
        : h("p", {}, "This key is read-only: a write key can create one."),
    );
  }
  return h(
    "table",
    { class: "sources" },
    h("caption", { class: "visually-hidden" }, "Sources"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        LIST_COLUMNS.map(([name]) => h("th", { scope: "col" }, name)),
      ),
    ),
    h(
      "tbody",
      {},
      sources.map((s) =>
        h(
          "tr",
          {},
          LIST_COLUMNS.map(([name, show]) => h("td", { "data-label": name }, show(s))),
        ),
      ),
    ),
  );
}
