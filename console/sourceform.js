// The fields of a source, for create and edit alike: name, enabled, the type's credentials
// (required first, secrets as password fields, each with its help) and the delivery settings, all
// made from the OpenAPI document.
import { fill, h } from "./dom.js";
import { control, placeErrors } from "./form.js";
import { credentialKeys, deliverySchema, topFields } from "./schema.js";
import { apiWords } from "./words.js";

/** `{element, controls, credentials, delivery, name, enabled, showErrors(messages)}`. */
export function sourceFields(doc, type, { editing = false } = {}) {
  const top = topFields(doc, type);
  const name = control(doc, "source", top.name, { required: true, title: "Name" });
  const enabled = control(doc, "enabled", top.enabled, {
    title: "Enabled: the CDN serves this source",
  });
  const { keys, description } = credentialKeys(doc, type);
  const credentials = keys.map(({ key, schema, required, secret }) =>
    control(doc, `credential_attributes.${key}`, schema, { required, secret }),
  );
  if (editing) {
    for (const c of credentials.filter((_, i) => keys[i].secret)) {
      c.input.setAttribute("placeholder", "Unchanged (leave empty to keep the stored secret)");
    }
  }
  const delivery = control(doc, "delivery", deliverySchema(doc), { title: "Delivery settings" });
  const summary = h("div", { role: "alert" });
  const controls = [name, enabled, ...credentials, delivery];
  const element = h(
    "div",
    {},
    summary,
    name.element,
    enabled.element,
    h(
      "fieldset",
      { class: "group" },
      h("legend", {}, "Credentials"),
      description ? h("p", { class: "help" }, description) : null,
      credentials.map((c) => c.element),
    ),
    h(
      "details",
      { class: "group", open: editing },
      h("summary", {}, "Delivery settings (optional)"),
      delivery.element,
    ),
  );
  return {
    element,
    controls,
    credentials,
    keys,
    delivery,
    name,
    enabled,
    /**
     * Each message beside its field; all of them, and a count, above the form. Answers the
     * messages no field took (a refused verification), for the caller to show where the person
     * is looking.
     */
    showErrors(messages) {
      const left = placeErrors(controls, messages);
      fill(
        summary,
        messages.length
          ? h(
              "div",
              { class: "problem" },
              h(
                "p",
                {},
                `The API refused it (${messages.length} problem${messages.length === 1 ? "" : "s"}), nothing was saved:`,
              ),
              h(
                "ul",
                {},
                messages.map((m) => h("li", {}, apiWords(m))),
              ),
            )
          : "",
      );
      return left;
    },
    clearErrors() {
      placeErrors(controls, []);
      fill(summary);
    },
  };
}
