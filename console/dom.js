// Every element of the console is built here. Data from the API only ever becomes text nodes and
// attribute values: nothing is parsed as HTML, so a label or a credential holding markup shows as
// that markup and runs nothing (docs/SPEC.md §20).

export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces what `el` holds with `children`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A link inside the console: `#/…` built from parts that are each encoded. */
export function route(...parts) {
  return `#/${parts.map(encodeURIComponent).join("/")}`;
}

/**
 * Makes `main` the caller's: answers a check that stays true while no later view has claimed it.
 * A view that waits before it fills `main` asks first, so that a page that arrives after the
 * person moved on never replaces the view they moved to.
 */
export function claim(main) {
  const owner = {};
  main.owner = owner;
  return () => main.owner === owner;
}

/** Says `text` to everyone: shown, and read by screen readers (the status region is live). */
export function announce(text) {
  fill(document.getElementById("status"), text ? h("p", {}, text) : null);
}

let uniqueIds = 0;
export function uniqueId(prefix) {
  uniqueIds += 1;
  return `${prefix}-${uniqueIds}`;
}

/** An alert box for an error, in words. */
export function problem(text) {
  return h("div", { class: "problem", role: "alert" }, text);
}

/**
 * Shows `children` in `place` and moves the focus there (docs/SPEC.md §27): what the person must
 * read next appears where they are looking, and a screen reader reads it.
 */
export function showHere(place, ...children) {
  fill(place, ...children);
  const shown = place.firstElementChild;
  if (shown) {
    shown.setAttribute("tabindex", "-1");
    shown.focus();
  }
}

/** "2026-03-05T14:10:00Z" as the reader's local date and time, the exact value in the title. */
export function when(timestamp) {
  if (!timestamp) return h("span", {}, "—");
  const date = new Date(timestamp);
  const shown = Number.isNaN(date.getTime()) ? timestamp : date.toLocaleString();
  return h("time", { datetime: timestamp, title: timestamp }, shown);
}

/** A button that copies `value`, saying whether it could. */
export function copyButton(value, text) {
  const button = h("button", { type: "button", class: "secondary" }, text);
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(value);
      announce("Copied.");
    } catch {
      announce("The browser did not allow copying: select the text and copy it by hand.");
    }
  });
  return button;
}
