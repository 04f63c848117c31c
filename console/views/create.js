// Create a source in three screens (docs/SPEC.md §20): the storage type; that type's fields with
// "verify before saving" on; the result. The create carries an Idempotency-Key (§15), so a double
// click or a retry never creates twice. What the person typed stays while they go back and forth
// and through every error.
import { api } from "../api.js";
import { claim, fill, h, problem, route, showHere } from "../dom.js";
import { typeName } from "../fields.js";
import { setPath } from "../form.js";
import { contract, sourceTypes } from "../schema.js";
import { mayWrite } from "../session.js";
import { sourceFields } from "../sourceform.js";
import { apiWords, describe } from "../words.js";

function newKey() {
  return crypto.randomUUID
    ? crypto.randomUUID()
    : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
        b.toString(16).padStart(2, "0"),
      ).join("");
}

// One create in progress: kept while the person moves around the console.
let draft = null;

export async function createView(main, { caller }) {
  if (!mayWrite(caller)) {
    fill(
      main,
      h("h1", { tabindex: "-1" }, "New source"),
      h("p", { class: "note" }, "This key is read-only: a write key can create sources."),
    );
    return;
  }
  const shown = claim(main);
  let doc;
  try {
    doc = await contract();
  } catch (error) {
    if (!shown()) return;
    fill(
      main,
      h("h1", { tabindex: "-1" }, "New source"),
      problem(
        `The console could not load the API's description: ${error.message}. Reload the page.`,
      ),
    );
    return;
  }
  if (!shown()) return;
  draft ??= { step: 1, type: null, forms: {}, idempotencyKey: newKey(), verify: true };
  const types = sourceTypes(doc).map((t) => t.type);

  function stepOne() {
    const choices = types.map((type) =>
      h(
        "div",
        { class: "check" },
        h("input", {
          type: "radio",
          name: "source_type",
          id: `type-${type}`,
          value: type,
          checked: draft.type === type,
        }),
        h("label", { for: `type-${type}` }, typeName(type)),
      ),
    );
    const message = h("div");
    const form = h(
      "form",
      { class: "card", novalidate: true },
      h("h1", { tabindex: "-1" }, "New source"),
      h("p", { class: "step" }, "Step 1 of 3: where are the images?"),
      h("fieldset", {}, h("legend", {}, "Storage type"), choices),
      message,
      h("button", { type: "submit" }, "Next"),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const chosen = form.querySelector('input[name="source_type"]:checked')?.value;
      if (!chosen) {
        fill(message, problem("Choose a storage type."));
        form.querySelector("input")?.focus();
        return;
      }
      draft.type = chosen;
      draft.step = 2;
      render();
    });
    return form;
  }

  function stepTwo() {
    draft.forms[draft.type] ??= sourceFields(doc, draft.type);
    const fields = draft.forms[draft.type];
    const verify = h("input", { type: "checkbox", id: "verify-first", checked: draft.verify });
    verify.addEventListener("change", () => {
      draft.verify = verify.checked;
    });
    const message = h("div");
    const submit = h("button", { type: "submit" }, "Create source");
    const back = h("button", { type: "button", class: "secondary" }, "Back");
    back.addEventListener("click", () => {
      draft.step = 1;
      render();
    });
    const form = h(
      "form",
      { class: "card", novalidate: true },
      h("h1", { tabindex: "-1" }, `New ${typeName(draft.type)} source`),
      h("p", { class: "step" }, "Step 2 of 3: its name and credentials"),
      fields.element,
      h(
        "div",
        { class: "field check" },
        verify,
        h(
          "label",
          { for: "verify-first" },
          "Verify the credentials before saving (nothing is saved if the storage refuses them)",
        ),
      ),
      message,
      h("div", { class: "buttons" }, back, submit),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { source_type: draft.type };
      for (const c of fields.controls) {
        const value = c.read();
        if (value !== undefined) setPath(body, c.path, value);
      }
      submit.disabled = true;
      fill(message, h("p", {}, draft.verify ? "Checking the storage, then saving…" : "Saving…"));
      try {
        const created = await api.createSource(body, {
          verify: draft.verify,
          idempotencyKey: draft.idempotencyKey,
        });
        draft = { step: 3, created: created.data };
        render();
      } catch (error) {
        if (error.status !== 422) {
          showHere(message, problem(describe(error)));
        } else {
          fill(message);
          // What no field took (a verification the storage refused) is said beside the button
          // the person just pressed, and takes the focus; the rest is beside its fields.
          const left = fields.showErrors(error.messages);
          if (left.length) showHere(message, problem(left.map(apiWords).join(" ")));
        }
      } finally {
        submit.disabled = false;
      }
    });
    return form;
  }

  function stepThree() {
    const s = draft.created;
    const again = h("button", { type: "button", class: "secondary" }, "Create another");
    again.addEventListener("click", () => {
      draft = null;
      createView(main, { caller });
    });
    return h(
      "div",
      { class: "card done" },
      h("h1", { tabindex: "-1" }, "Source created"),
      h("p", { class: "step" }, "Step 3 of 3: done"),
      h(
        "p",
        {},
        `${s.source} (${typeName(s.source_type)}) is saved${s.enabled ? " and enabled" : ", disabled"}.`,
      ),
      h(
        "div",
        { class: "buttons" },
        h("a", { class: "button", href: route("sources", s.id) }, "Open the source"),
        again,
      ),
    );
  }

  function render() {
    const screen = { 1: stepOne, 2: stepTwo, 3: stepThree }[draft.step]();
    fill(main, screen);
    main.querySelector("h1")?.focus();
    if (draft?.step === 3) draft = null;
  }
  render();
}
