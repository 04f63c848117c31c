// Edit a source (docs/SPEC.md §20): the form starts from the stored values, and the PATCH sends
// only what changed (an untouched secret is kept) with `If-Match`. A 412 says the source changed
// meanwhile and offers to reload it; the reload keeps what the person changed.
import { api } from "../api.js";
import { announce, claim, fill, h, problem, route, showHere } from "../dom.js";
import { typeName } from "../fields.js";
import { setPath } from "../form.js";
import { contract } from "../schema.js";
import { mayWrite } from "../session.js";
import { sourceFields } from "../sourceform.js";
import { apiWords, describe } from "../words.js";

/** A value with its empty parts (false, null, [], {}) left out, for "did it change?". */
function canon(value) {
  if (Array.isArray(value)) return value.length ? value : undefined;
  if (value && typeof value === "object") {
    const kept = Object.entries(value)
      .map(([k, v]) => [k, canon(v)])
      .filter(([, v]) => v !== undefined);
    return kept.length
      ? Object.fromEntries(kept.sort(([a], [b]) => a.localeCompare(b)))
      : undefined;
  }
  return value === false || value === null || value === "" ? undefined : value;
}
const same = (a, b) => JSON.stringify(canon(a)) === JSON.stringify(canon(b));

export async function editView(main, { caller, id, navigate, query }) {
  if (!mayWrite(caller)) {
    fill(
      main,
      h("h1", { tabindex: "-1" }, "Edit source"),
      h("p", { class: "note" }, "This key is read-only: a write key can edit sources."),
    );
    return;
  }
  const shown = claim(main);
  let doc;
  let current;
  try {
    [doc, current] = await Promise.all([contract(), api.getSource(id)]);
  } catch (error) {
    if (!shown()) return;
    fill(
      main,
      h("h1", { tabindex: "-1" }, "Edit source"),
      problem(error.status !== undefined ? describe(error) : error.message),
    );
    return;
  }
  if (!shown()) return;
  let fields;

  /** The changes the form holds against `source`, as a PATCH body's `source`. */
  function changes(source) {
    const body = {};
    const name = fields.name.read();
    if (name !== source.source) body.source = name ?? null;
    const enabled = fields.enabled.read() ?? true;
    if (enabled !== source.enabled) body.enabled = enabled;
    fields.credentials.forEach((c, i) => {
      const { key, secret } = fields.keys[i];
      const value = c.read();
      if (secret) {
        if (value !== undefined) setPath(body, c.path, value);
      } else if (!same(value, source.credentials[key])) {
        setPath(body, c.path, value ?? null);
      }
    });
    const delivery = fields.delivery.read() ?? {};
    for (const child of fields.delivery.children) {
      const key = child.path.split(".").pop();
      if (!same(delivery[key], source.delivery?.[key]))
        setPath(body, `delivery.${key}`, delivery[key] ?? null);
    }
    return body;
  }

  function prefill(source, pending = {}) {
    fields = sourceFields(doc, source.source_type, { editing: true });
    fields.name.write(pending.source ?? source.source);
    fields.enabled.write(pending.enabled ?? source.enabled);
    fields.credentials.forEach((c, i) => {
      const { key, secret } = fields.keys[i];
      const kept = pending.credential_attributes?.[key];
      c.write(kept !== undefined ? (kept ?? "") : secret ? "" : source.credentials[key]);
    });
    fields.delivery.write({ ...(source.delivery ?? {}), ...(pending.delivery ?? {}) });
  }

  function render(pending) {
    const s = current.data;
    prefill(s, pending);
    const verify = h("input", { type: "checkbox", id: "verify-edit" });
    const message = h("div");
    const submit = h("button", { type: "submit" }, "Save changes");
    const form = h(
      "form",
      { class: "card", novalidate: true },
      h("p", {}, h("a", { href: route("sources", s.id) }, `← ${s.source}`)),
      h("h1", { tabindex: "-1" }, `Edit ${s.source}`),
      h(
        "p",
        {},
        `${typeName(s.source_type)}. Only the fields you change are sent; a secret left empty is kept.`,
      ),
      fields.element,
      h(
        "div",
        { class: "field check" },
        verify,
        h("label", { for: "verify-edit" }, "Verify the credentials before saving"),
      ),
      message,
      submit,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = changes(s);
      if (!Object.keys(body).length) {
        fill(message, h("p", { role: "status" }, "Nothing changed: there is nothing to save."));
        return;
      }
      submit.disabled = true;
      try {
        await api.updateSource(s.id, body, { etag: current.etag, verify: verify.checked });
        announce(`Saved ${body.source ?? s.source}.`);
        navigate(route("sources", s.id));
      } catch (error) {
        if (error.status === 422) {
          fill(message);
          const left = fields.showErrors(error.messages);
          if (left.length) showHere(message, problem(left.map(apiWords).join(" ")));
        } else {
          const reload = h("button", { type: "button" }, "Reload the source, keeping my changes");
          reload.addEventListener("click", async () => {
            const pendingNow = changes(s);
            try {
              current = await api.getSource(s.id);
              render(pendingNow);
              announce("Reloaded: the form shows the source as it is now, with your changes.");
            } catch (again) {
              fill(message, problem(describe(again)));
            }
          });
          fill(message, problem(describe(error)), error.status === 412 ? reload : null);
          (error.status === 412 ? reload : message).focus?.();
        }
      } finally {
        submit.disabled = false;
      }
    });
    fill(main, form);
    main.querySelector("h1")?.focus();
  }
  render();
  // "Add a custom domain" on the source's page opens the form with a new, empty entry in that
  // list, which takes the focus: the person types the domain and presses Enter.
  const adding = fields.delivery.children.find((c) => c.path === `delivery.${query.add}`);
  const entry = adding?.addEntry?.();
  if (entry) {
    entry.dataset.autofocus = "";
    entry.focus();
  }
}
