// The account's API keys (docs/SPEC.md §26): the list, and for an administrator key a new key
// (shown once, with copy) and revoking one (asked first). Other keys see the list and what they
// may not do.
import { api } from "../api.js";
import { announce, copyButton, fill, h, problem, uniqueId, when } from "../dom.js";
import { mayManageKeys } from "../session.js";
import { describe } from "../words.js";

const SCOPES = [
  ["read", "Read only: sees sources, never their signing tokens"],
  ["write", "Read and write: also creates, changes and deletes sources"],
  ["admin", "Administrator: also creates and revokes keys"],
];
const COLUMNS = ["Name", "ID", "Access", "Created", "Stops working", "Last used", "Revoke"];
const SCOPE_WORDS = Object.fromEntries(
  SCOPES.map(([scope, words]) => [scope, words.split(":")[0]]),
);
const LIFETIMES = [
  ["", "Until revoked"],
  [String(86400), "1 day"],
  [String(30 * 86400), "30 days"],
  [String(90 * 86400), "90 days"],
  [String(365 * 86400), "1 year"],
  [String(2 * 365 * 86400), "2 years"],
];

export async function keysView(main, { caller }) {
  const manages = mayManageKeys(caller);
  const result = h("div", { "aria-live": "polite" });
  const list = h("div");
  fill(
    main,
    h("h1", { tabindex: "-1" }, "API keys"),
    h(
      "p",
      {},
      "The keys that open this account, newest first. A key is shown once, when it is made; after that only its name and its ID.",
    ),
    manages
      ? newKeyForm()
      : h(
          "p",
          { class: "note" },
          "Only an administrator key can create or revoke keys: this key can see them.",
        ),
    result,
    h("h2", {}, "Keys"),
    list,
  );
  await showList();

  async function showList() {
    try {
      const { data } = await api.listKeys();
      fill(
        list,
        h(
          "table",
          { class: "sources keys" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              COLUMNS.map((name) => h("th", { scope: "col" }, name)),
            ),
          ),
          h("tbody", {}, data.map(keyRow)),
        ),
      );
    } catch (error) {
      fill(list, problem(describe(error)));
    }
  }

  function keyRow(key) {
    const yours = key.id === caller.id;
    const cells = [
      [key.label, yours ? " (this key)" : ""],
      h("code", {}, key.id),
      SCOPE_WORDS[key.scope] ?? key.scope,
      when(key.created_at),
      key.expires_at ? when(key.expires_at) : "Never",
      key.last_used_on ?? "Not yet",
      manages ? revokeControl(key) : "—",
    ];
    return h(
      "tr",
      {},
      cells.map((cell, n) => h("td", { "data-label": COLUMNS[n] }, cell)),
    );
  }

  // Revoking asks first, in place: the key stops working at once.
  function revokeControl(key) {
    const cell = h("div", { class: "revoke" });
    const ask = h(
      "button",
      { type: "button", class: "secondary", "aria-label": `Revoke ${key.label}` },
      "Revoke",
    );
    ask.addEventListener("click", () => {
      const confirm = h("button", { type: "button", class: "danger" }, `Revoke ${key.label}`);
      const keep = h("button", { type: "button", class: "secondary" }, "Keep it");
      fill(cell, h("p", {}, "It stops working at once, wherever it is used."), confirm, " ", keep);
      keep.addEventListener("click", () => {
        fill(cell, ask);
        ask.focus();
      });
      confirm.addEventListener("click", async () => {
        confirm.disabled = true;
        try {
          await api.revokeKey(key.id);
          fill(result);
          // Said once the list shows it gone: what the person (or a test) does next acts on
          // the list as it is now, never on rows about to be replaced.
          await showList();
          announce(`Revoked the key ${key.label}.`);
          main.querySelector("h2")?.focus();
        } catch (error) {
          fill(result, problem(describe(error)));
          fill(cell, ask);
          result.querySelector("[role=alert]")?.setAttribute("tabindex", "-1");
          result.querySelector("[role=alert]")?.focus();
        }
      });
      confirm.focus();
    });
    fill(cell, ask);
    return cell;
  }

  function newKeyForm() {
    const labelId = uniqueId("key-label");
    const scopeId = uniqueId("key-scope");
    const lifetimeId = uniqueId("key-lifetime");
    const label = h("input", {
      id: labelId,
      type: "text",
      required: true,
      maxlength: "64",
      autocomplete: "off",
    });
    const scope = h(
      "select",
      { id: scopeId },
      SCOPES.map(([value, words]) => h("option", { value }, words)),
    );
    const lifetime = h(
      "select",
      { id: lifetimeId },
      LIFETIMES.map(([value, words]) => h("option", { value }, words)),
    );
    const form = h(
      "form",
      { class: "action" },
      h("h2", {}, "New key"),
      h(
        "div",
        { class: "field" },
        h("label", { for: labelId }, "Name (what the key is for)"),
        label,
      ),
      h("div", { class: "field" }, h("label", { for: scopeId }, "What it may do"), scope),
      h("div", { class: "field" }, h("label", { for: lifetimeId }, "Works for"), lifetime),
      h("button", { type: "submit" }, "Create key"),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { label: label.value.trim(), scope: scope.value };
      if (lifetime.value) body.expires_in = Number(lifetime.value);
      try {
        const { data } = await api.createKey(body);
        label.value = "";
        const shown = h("code", { class: "token new-key" }, data.key);
        // The list first, then the key: once the key shows, the list already holds it.
        await showList();
        fill(
          result,
          h(
            "div",
            { class: "done", role: "status", tabindex: "-1" },
            h(
              "p",
              {},
              `The key ${data.label} was made. Copy it now: it is shown only this once, and cannot be shown again.`,
            ),
            h("p", {}, shown, " ", copyButton(data.key, "Copy the key")),
          ),
        );
        result.firstChild.focus();
      } catch (error) {
        fill(result, problem(describe(error)));
        label.focus();
      }
    });
    return form;
  }
}
