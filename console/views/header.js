// The header: who is signed in (the key's label, scope and expiry, docs/SPEC.md §19) and the way
// around.
import { fill, h, route, when } from "../dom.js";
import { mayWrite, scopeWords } from "../session.js";

export function renderHeader(caller, { onSignOut }) {
  const top = document.getElementById("top");
  if (!caller) {
    fill(top, h("p", { class: "brand" }, "Image Sources"));
    return;
  }
  const writes = mayWrite(caller);
  fill(
    top,
    h("a", { class: "brand", href: route("sources") }, "Image Sources"),
    h(
      "nav",
      { "aria-label": "Main" },
      h("a", { href: route("sources") }, "Sources"),
      writes ? h("a", { href: route("new") }, "New source") : null,
      h("a", { href: route("activity") }, "Activity"),
      h("a", { href: route("keys") }, "API keys"),
    ),
    h(
      "div",
      { class: "key", role: "group", "aria-label": "Signed in with" },
      h("span", { class: "key-label" }, caller.label || "(no label)"),
      h("span", { class: `scope scope-${caller.scope}` }, scopeWords(caller)),
      h("span", {}, "account ", h("strong", {}, caller.account)),
      h("span", {}, caller.expires_at ? ["expires ", when(caller.expires_at)] : "never expires"),
      h("button", { type: "button", class: "secondary", onclick: onSignOut }, "Sign out"),
    ),
  );
}
