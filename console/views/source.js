// One source (docs/SPEC.md §20): every field, secrets as the API shows them (`****`), the signing
// token masked with reveal and copy, the enabled toggle, health, the audit trail, and the actions
// verify, rotate, edit and delete. A read-only key sees the facts and no write control.
import { api } from "../api.js";
import { announce, claim, copyButton, fill, h, problem, route, uniqueId } from "../dom.js";
import { pagedEvents } from "../events.js";
import { SOURCE_FIELDS, TOKEN_KEYS } from "../fields.js";
import { mayWrite } from "../session.js";
import { usePanel } from "../usepanel.js";
import { apiWords, describe, fieldWords, label, valueWords } from "../words.js";

const GRACE = [
  [0, "None: the old token stops at once"],
  [3600, "1 hour"],
  [86400, "1 day"],
  [604800, "1 week"],
];

export async function sourceView(main, { caller, id, navigate }) {
  const shown = claim(main);
  fill(main, h("h1", { tabindex: "-1" }, "Source"), h("p", {}, "Loading…"));
  let current;
  try {
    current = await api.getSource(id);
  } catch (error) {
    if (!shown()) return;
    fill(
      main,
      h("h1", { tabindex: "-1" }, "Source"),
      problem(describe(error)),
      h("a", { href: route("sources") }, "Back to sources"),
    );
    return;
  }
  if (!shown()) return;
  const writes = mayWrite(caller);
  const actions = h("div", { class: "actions-result", "aria-live": "polite" });

  function render() {
    const s = current.data;
    fill(
      main,
      h("p", {}, h("a", { href: route("sources") }, "← Sources")),
      h(
        "div",
        { class: "title" },
        h("h1", { tabindex: "-1" }, s.source),
        writes ? h("a", { class: "button", href: route("sources", s.id, "edit") }, "Edit") : null,
      ),
      writes
        ? null
        : h(
            "p",
            { class: "note" },
            "This key is read-only: editing, verifying, rotating and deleting need a write key.",
          ),
      h(
        "dl",
        { class: "facts" },
        SOURCE_FIELDS.map(([name, show]) => [h("dt", {}, name), h("dd", {}, show(s))]),
      ),
      writes ? enabledToggle() : null,
      usePanel(s, { tokens: writes, writes }),
      h("h2", {}, "Credentials"),
      settings(Object.entries(s.credentials).filter(([k]) => !TOKEN_KEYS.includes(k))),
      h("h2", {}, "Signing token"),
      writes
        ? [
            token("Current token", s.credentials.secret_token),
            s.credentials.previous_secret_token
              ? token(
                  "Previous token",
                  s.credentials.previous_secret_token,
                  s.credentials.previous_secret_token_expires_at,
                )
              : h("p", {}, "No previous token is signing URLs."),
          ]
        : h("p", {}, "A read-only key does not see signing tokens: it cannot sign addresses."),
      h("h2", {}, "Delivery settings"),
      settings(Object.entries(s.delivery ?? {}).map(([k, v]) => [`delivery.${k}`, v])),
      writes ? h("h2", {}, "Actions") : null,
      writes ? [verifyAction(), rotateAction(), deleteAction()] : null,
      actions,
      h("h2", {}, "History"),
      pagedEvents((query) => api.sourceEvents(s.id, query), { linked: false, empty: "No events." }),
    );
  }

  function settings(rows) {
    if (!rows.length) return h("p", {}, "None.");
    return h(
      "dl",
      { class: "facts" },
      rows.map(([k, v]) => [
        h("dt", {}, fieldWords(k)),
        h("dd", {}, h("span", { class: "data" }, valueWords(v))),
      ]),
    );
  }

  function token(name, value, expires) {
    const shown = h("code", { class: "token" }, "•".repeat(16));
    const reveal = h(
      "button",
      { type: "button", class: "secondary", "aria-pressed": "false" },
      `Reveal ${name.toLowerCase()}`,
    );
    reveal.addEventListener("click", () => {
      const revealed = reveal.getAttribute("aria-pressed") !== "true";
      reveal.setAttribute("aria-pressed", String(revealed));
      fill(shown, revealed ? value : "•".repeat(16));
    });
    return h(
      "div",
      { class: "token-row" },
      h(
        "span",
        {},
        name,
        expires ? [" (signs until ", h("time", { datetime: expires }, expires), ")"] : null,
        ": ",
      ),
      shown,
      reveal,
      copyButton(value, `Copy ${name.toLowerCase()}`),
    );
  }

  // Enabling takes at once; disabling asks first, since the CDN stops serving the images
  // (docs/SPEC.md §27).
  function enabledToggle() {
    const id = uniqueId("enabled");
    const box = h("input", { id, type: "checkbox", role: "switch", checked: current.data.enabled });
    const ask = h("div", { class: "confirm" });
    async function save(enabled) {
      box.disabled = true;
      try {
        current = await api.updateSource(current.data.id, { enabled }, { etag: current.etag });
        announce(
          current.data.enabled
            ? "Enabled: the CDN serves the source."
            : "Disabled: the CDN does not serve the source.",
        );
        render();
      } catch (error) {
        box.checked = !enabled;
        box.disabled = false;
        fill(actions, problem(describe(error)), error.status === 412 ? reloadButton() : null);
      }
    }
    box.addEventListener("change", () => {
      if (box.checked) {
        save(true);
        return;
      }
      box.checked = true;
      const yes = h("button", { type: "button", class: "danger" }, "Disable the source");
      const no = h("button", { type: "button", class: "secondary" }, "Keep it enabled");
      yes.addEventListener("click", () => save(false));
      no.addEventListener("click", () => {
        fill(ask);
        box.focus();
      });
      fill(ask, h("p", {}, "Disable it? The CDN stops serving its images at once."), yes, " ", no);
      yes.focus();
    });
    return h(
      "div",
      {},
      h(
        "div",
        { class: "field check" },
        box,
        h("label", { for: id }, "Enabled: the CDN serves this source"),
      ),
      ask,
    );
  }

  function reloadButton() {
    return h(
      "button",
      { type: "button", onclick: () => sourceView(main, { caller, id, navigate }) },
      "Reload the source",
    );
  }

  function verifyAction() {
    const button = h("button", { type: "button", class: "secondary" }, "Verify credentials");
    button.addEventListener("click", async () => {
      button.disabled = true;
      fill(actions, h("p", {}, "Checking the storage…"));
      try {
        const { data } = await api.verifySource(current.data.id);
        fill(actions, verification(data.verification));
        current = await api.getSource(current.data.id);
        render();
        fill(actions, verification(data.verification));
      } catch (error) {
        fill(actions, problem(describe(error)));
      } finally {
        button.disabled = false;
      }
    });
    return h(
      "section",
      { class: "action", "aria-label": "Verify" },
      h(
        "p",
        {},
        "Reach the storage the way the CDN would, and report what it found. Nothing changes.",
      ),
      button,
    );
  }

  function rotateAction() {
    const name = uniqueId("grace");
    const choices = GRACE.map(([seconds, text]) => {
      const id = uniqueId("grace");
      return h(
        "div",
        { class: "check" },
        h("input", { type: "radio", id, name, value: seconds, checked: seconds === 86400 }),
        h("label", { for: id }, text),
      );
    });
    const form = h(
      "form",
      { class: "action" },
      h(
        "fieldset",
        {},
        h("legend", {}, "Rotate the signing token: how long may the current one still sign URLs?"),
        choices,
      ),
      h("button", { type: "submit", class: "secondary" }, "Rotate token"),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const grace = Number(form.querySelector("input:checked")?.value ?? 86400);
      try {
        current = await api.rotateToken(current.data.id, grace, current.etag);
        render();
        const fresh = current.data.credentials.secret_token;
        fill(
          actions,
          h(
            "div",
            { class: "done", role: "status" },
            h(
              "p",
              {},
              "The token was rotated. Copy the new token to where your image addresses are signed (it stays under Signing token on this page):",
            ),
            h(
              "p",
              {},
              h("code", { class: "token new-token" }, fresh),
              " ",
              copyButton(fresh, "Copy the new token"),
            ),
          ),
        );
      } catch (error) {
        fill(actions, problem(describe(error)), error.status === 412 ? reloadButton() : null);
      }
    });
    return form;
  }

  function deleteAction() {
    const id = uniqueId("confirm");
    const input = h("input", { id, type: "text", autocomplete: "off", spellcheck: "false" });
    const form = h(
      "form",
      { class: "action danger" },
      h(
        "div",
        { class: "field" },
        h("label", { for: id }, `To delete this source, type its name (${current.data.source})`),
        input,
      ),
      h("button", { type: "submit", class: "danger" }, "Delete source"),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (input.value !== current.data.source) {
        fill(actions, problem("The name does not match: nothing was deleted."));
        input.focus();
        return;
      }
      try {
        await api.deleteSource(current.data.id, current.etag);
        announce(`Deleted the source ${current.data.source}.`);
        navigate(route("sources"));
      } catch (error) {
        fill(actions, problem(describe(error)), error.status === 412 ? reloadButton() : null);
      }
    });
    return form;
  }

  render();
}

/** A verification's result (§14): the status, each check, and the error in words. */
export function verification(result) {
  return h(
    "div",
    { class: result.status === "ok" ? "done" : "problem", role: "status" },
    h(
      "p",
      {},
      `Verification ${result.status}`,
      result.latency_ms !== undefined ? ` in ${result.latency_ms} ms` : "",
    ),
    h(
      "ul",
      {},
      (result.checks ?? []).map((c) => h("li", {}, `${label(c.check)}: ${c.result}`)),
    ),
    result.error ? h("p", {}, apiWords(result.error.message)) : null,
  );
}
