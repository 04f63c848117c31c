// Form controls made from JSON Schema (the OpenAPI document's): the schema says how a value is
// typed, so every type's fields, the delivery settings included, come out of one function.
import { h, uniqueId } from "./dom.js";
import { unwrap } from "./schema.js";
import { apiWords, DURATIONS, durationWords, label, valueWords } from "./words.js";

/**
 * A control for the value at `path` (`credential_attributes.bucket`, `delivery.cache.ttl`):
 * `{path, element, read(), write(v), showErrors(list)}`. `read()` is `undefined` for "not given".
 */
export function control(doc, path, rawSchema, { required = false, secret = false, title } = {}) {
  const { schema, nullable } = unwrap(doc, rawSchema);
  const id = uniqueId("field");
  const help = schema.description
    ? h("p", { class: "help", id: `${id}-help` }, schema.description)
    : null;
  const error = h("p", { class: "field-error", id: `${id}-error`, hidden: true });
  const describedBy = [help && `${id}-help`, `${id}-error`].filter(Boolean).join(" ");
  const name = title ?? label(path.split(".").pop());
  const text = `${name}${required ? " (required)" : ""}`;
  const strings = (schema.enum ?? []).filter((v) => typeof v === "string");
  let input;
  let read;
  let write;

  if (schema.type === "object" && schema.properties) {
    const children = Object.entries(schema.properties).map(([key, child]) =>
      control(doc, `${path}.${key}`, child, { required: (schema.required ?? []).includes(key) }),
    );
    // A setting that may be absent as a whole (a fallback image) has its own switch: off, its
    // fields are hidden and nothing of them is sent (docs/SPEC.md §27).
    const on = nullable ? h("input", { type: "checkbox", id: `${id}-on` }) : null;
    const inner = h(
      "div",
      { class: "group-fields" },
      children.map((c) => c.element),
    );
    const sync = () => {
      if (on) inner.hidden = !on.checked;
    };
    on?.addEventListener("change", sync);
    sync();
    const element = h(
      "fieldset",
      { class: "group" },
      h("legend", {}, name),
      help,
      on
        ? h("div", { class: "field check" }, on, h("label", { for: `${id}-on` }, `Use: ${name}`))
        : null,
      error,
      inner,
    );
    return {
      path,
      element,
      children,
      read() {
        if (on && !on.checked) return undefined;
        const value = {};
        for (const child of children) {
          const v = child.read();
          if (v !== undefined) value[child.path.split(".").pop()] = v;
        }
        return Object.keys(value).length ? value : undefined;
      },
      write(value) {
        if (on) {
          on.checked = value !== null && value !== undefined;
          sync();
        }
        for (const child of children) child.write(value?.[child.path.split(".").pop()]);
      },
      showErrors(list) {
        showMessages(error, list);
        if (!list.length) for (const child of children) child.showErrors([]);
      },
    };
  }

  if (strings.length) {
    input = h(
      "select",
      { id, name: path, "aria-describedby": describedBy },
      required ? null : h("option", { value: "" }, "(not set)"),
      strings.map((v) => h("option", { value: v }, valueWords(v))),
    );
    read = () => input.value || undefined;
    write = (v) => {
      input.value = v === undefined || v === null ? "" : String(v);
    };
  } else if (schema.type === "boolean") {
    input = h("input", { id, name: path, type: "checkbox", "aria-describedby": describedBy });
    // Not given while it holds the default: an untouched box sends nothing.
    read = () => (input.checked === (schema.default ?? false) ? undefined : input.checked);
    write = (v) => {
      input.checked = v ?? schema.default ?? false;
    };
    write(undefined);
  } else if (schema.type === "integer" && schema["x-duration"] === "seconds") {
    // A lifetime as a choice of durations within its bounds: what cannot be sent is not offered.
    const choices = DURATIONS.filter(
      ([seconds]) =>
        seconds >= (schema.minimum ?? 0) && seconds <= (schema.maximum ?? Number.MAX_VALUE),
    );
    input = h(
      "select",
      { id, name: path, "aria-describedby": describedBy },
      h("option", { value: "" }, `The default (${durationWords(schema.default)})`),
      choices.map(([seconds, words]) => h("option", { value: String(seconds) }, words)),
    );
    read = () => (input.value === "" ? undefined : Number(input.value));
    write = (v) => {
      const known = choices.some(([seconds]) => seconds === v);
      if (v !== undefined && v !== null && !known)
        input.append(h("option", { value: String(v) }, durationWords(v)));
      input.value = v === undefined || v === null ? "" : String(v);
    };
  } else if (schema.type === "integer") {
    input = h("input", {
      id,
      name: path,
      type: "number",
      inputmode: "numeric",
      min: schema.minimum,
      max: schema.maximum,
      step: 1,
      "aria-describedby": describedBy,
    });
    read = () => (input.value.trim() === "" ? undefined : Number(input.value));
    write = (v) => {
      input.value = v ?? "";
    };
  } else if (schema.type === "array") {
    return listControl({ path, name, help, error, describedBy, max: schema.maxItems });
  } else if (schema.type === "object") {
    return rowsControl({ path, name, help, error, max: schema.maxProperties });
  } else {
    const type = secret ? "password" : schema.format === "uri" ? "url" : "text";
    input = h("input", {
      id,
      name: path,
      type,
      autocomplete: secret ? "new-password" : "off",
      spellcheck: "false",
      maxlength: schema.maxLength,
      "aria-describedby": describedBy,
    });
    read = () => (input.value === "" ? undefined : input.value);
    write = (v) => {
      input.value = v ?? "";
    };
  }
  if (required && schema.type !== "boolean") input.setAttribute("aria-required", "true");
  const element = h(
    "div",
    { class: schema.type === "boolean" && !strings.length ? "field check" : "field" },
    h("label", { for: id }, text),
    input,
    help,
    error,
  );
  return {
    path,
    element,
    input,
    read,
    write,
    showErrors(list) {
      showMessages(error, list);
      if (list.length) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    },
  };
}

/** A list of texts (custom domains, subdomains): one field per entry, added and removed. */
function listControl({ path, name, help, error, max }) {
  const rows = h("ul", { class: "list-edit" });
  const add = h("button", { type: "button", class: "secondary" }, `Add to ${name.toLowerCase()}`);
  const inputs = () => [...rows.querySelectorAll("input")];
  function addRow(value = "") {
    const input = h("input", {
      type: "text",
      value,
      name: path,
      autocomplete: "off",
      spellcheck: "false",
      "aria-label": `${name}: entry ${inputs().length + 1}`,
    });
    const remove = h("button", { type: "button", class: "secondary" }, "Remove");
    const row = h("li", {}, input, " ", remove);
    remove.addEventListener("click", () => {
      row.remove();
      add.disabled = false;
      add.focus();
    });
    rows.append(row);
    add.disabled = max !== undefined && inputs().length >= max;
    return input;
  }
  add.addEventListener("click", () => addRow().focus());
  const element = h("fieldset", { class: "group" }, h("legend", {}, name), help, rows, add, error);
  return {
    path,
    element,
    input: add,
    read() {
      const values = inputs()
        .map((i) => i.value.trim())
        .filter(Boolean);
      return values.length ? values : undefined;
    },
    write(value) {
      rows.replaceChildren();
      for (const item of value ?? []) addRow(item);
      add.disabled = max !== undefined && inputs().length >= max;
    },
    showErrors(list) {
      showMessages(error, list);
    },
    /** A new, empty entry at the end (unless the list is full): its field, or nothing. */
    addEntry: () => (add.disabled ? undefined : addRow()),
  };
}

/** Named values (default image settings): a row per name and value, added and removed. */
function rowsControl({ path, name, help, error, max }) {
  const rows = h("ul", { class: "list-edit" });
  const add = h(
    "button",
    { type: "button", class: "secondary" },
    `Add a row to ${name.toLowerCase()}`,
  );
  function addRow(key = "", value = "") {
    const n = rows.children.length + 1;
    const keyInput = h("input", {
      type: "text",
      value: key,
      autocomplete: "off",
      spellcheck: "false",
      "aria-label": `${name}: name ${n}`,
    });
    const valueInput = h("input", {
      type: "text",
      value,
      autocomplete: "off",
      spellcheck: "false",
      "aria-label": `${name}: value ${n}`,
    });
    const remove = h("button", { type: "button", class: "secondary" }, "Remove");
    const row = h("li", {}, keyInput, " = ", valueInput, " ", remove);
    remove.addEventListener("click", () => {
      row.remove();
      add.disabled = false;
      add.focus();
    });
    rows.append(row);
    add.disabled = max !== undefined && rows.children.length >= max;
    return keyInput;
  }
  add.addEventListener("click", () => addRow().focus());
  const element = h("fieldset", { class: "group" }, h("legend", {}, name), help, rows, add, error);
  return {
    path,
    element,
    input: add,
    read() {
      const entries = [...rows.children]
        .map((row) => [...row.querySelectorAll("input")].map((i) => i.value.trim()))
        .filter(([key]) => key);
      return entries.length ? Object.fromEntries(entries) : undefined;
    },
    write(value) {
      rows.replaceChildren();
      for (const [key, v] of Object.entries(value ?? {})) addRow(key, v);
    },
    showErrors(list) {
      showMessages(error, list);
    },
  };
}

function showMessages(error, list) {
  error.replaceChildren(list.map(apiWords).join(" "));
  error.hidden = list.length === 0;
}

/**
 * The names the API's messages give the field at `path`: a message about a field starts with
 * its name (docs/SPEC.md §5: "Credential bucket can't be blank", "delivery.cache.ttl must be
 * …"), and a taken custom domain is named by the domain ("Custom domain … has already been
 * taken", §23).
 */
function messageNames(path) {
  if (path.startsWith("credential_attributes.")) {
    return [`Credential ${path.slice("credential_attributes.".length)}`];
  }
  if (path === "delivery.custom_domains") return [path, "Custom domain"];
  if (path.startsWith("delivery")) return [path];
  const top = { source: "Source", source_type: "Source type", enabled: "Enabled" };
  return top[path] ? [top[path]] : [];
}

/** Every control of `controls`, those inside groups included. */
function everyControl(controls) {
  return controls.flatMap((c) => [c, ...everyControl(c.children ?? [])]);
}

/**
 * Puts each message beside the control whose name it starts with (the longest such name, so
 * "Source type …" goes to the type, not the name, and a deeper delivery key to its own control
 * before its group), and returns the messages no control took.
 */
export function placeErrors(controls, messages) {
  const named = everyControl(controls).flatMap((control) =>
    messageNames(control.path).map((name) => ({ name, control })),
  );
  named.sort((a, b) => b.name.length - a.name.length);
  // A name ends where the message's words begin; a delivery group also takes its keys' messages
  // when they have no control of their own (`delivery.fallback_images.error.url` …).
  const names = (message, name) =>
    message.startsWith(name) &&
    (message[name.length] === " " || (name.startsWith("delivery") && message[name.length] === "."));
  const byControl = new Map();
  const left = [];
  for (const control of controls) control.showErrors?.([]);
  for (const message of messages) {
    const target = named.find(({ name }) => names(message, name))?.control;
    if (!target) left.push(message);
    else byControl.set(target, [...(byControl.get(target) ?? []), message]);
  }
  for (const [control, list] of byControl) control.showErrors(list);
  const first = [...byControl.keys()][0];
  (first?.input ?? first?.element)?.focus?.();
  return left;
}

/** Sets `a.b.c` of `object` to `value`. */
export function setPath(object, path, value) {
  const parts = path.split(".");
  let at = object;
  for (const part of parts.slice(0, -1)) at = at[part] ??= {};
  at[parts[parts.length - 1]] = value;
}
