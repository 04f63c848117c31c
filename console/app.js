// The console (docs/SPEC.md §20): a router over the location's hash, the signed-in caller, and
// the views. It calls only the public API (api.js), with the key the person pasted in.
import { api } from "./api.js";
import { announce, fill, h, problem, route } from "./dom.js";
import { session } from "./session.js";
import { activityView } from "./views/activity.js";
import { createView } from "./views/create.js";
import { editView } from "./views/edit.js";
import { renderHeader } from "./views/header.js";
import { keysView } from "./views/keys.js";
import { signInView } from "./views/signin.js";
import { sourceView } from "./views/source.js";
import { sourcesView } from "./views/sources.js";
import { describe } from "./words.js";

const main = document.getElementById("main");
let caller = null;
// What was said stays for the view a navigation opens ("Deleted …" on the list), and goes after.
let keepStatus = false;

function navigate(hash) {
  keepStatus = true;
  if (location.hash === hash) render();
  else location.hash = hash;
}

// Signing out forgets the key and starts the page afresh: nothing of this session's (a list's
// filters, a create's draft) stays for whoever signs in next.
function signOut() {
  session.signOut();
  caller = null;
  location.hash = route("signin");
  location.reload();
}

async function render() {
  if (!keepStatus) announce("");
  keepStatus = false;
  // `#/sources?sort=name&q=my`: the route, then what the view keeps in the address (a list's
  // filters and page, docs/SPEC.md §27).
  const [path, search] = location.hash.replace(/^#\/?/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const query = Object.fromEntries(new URLSearchParams(search ?? ""));
  if (!session.key) {
    caller = null;
    renderHeader(null, {});
    signInView(main, {
      onSignedIn(key) {
        caller = key;
        announce(`Signed in as ${key.label || key.id}.`);
        navigate(route("sources"));
      },
    });
    focusTitle();
    return;
  }
  if (!caller) {
    try {
      caller = (await api.apiKey()).data.api_key;
    } catch (error) {
      if (error.status === 401) {
        session.signOut();
        renderHeader(null, {});
        signInView(main, { onSignedIn: () => navigate(route("sources")), notice: describe(error) });
      } else {
        const retry = h("button", { type: "button", onclick: render }, "Try again");
        fill(main, h("h1", { tabindex: "-1" }, "Image Sources"), problem(describe(error)), retry);
      }
      focusTitle();
      return;
    }
  }
  renderHeader(caller, { onSignOut: signOut });
  const context = { caller, navigate, query };
  const [first, id, action] = parts;
  if (first === "new") await createView(main, context);
  else if (first === "activity") activityView(main, context);
  else if (first === "keys") await keysView(main, context);
  else if (first === "sources" && id && action === "edit") await editView(main, { ...context, id });
  else if (first === "sources" && id) await sourceView(main, { ...context, id });
  else await sourcesView(main, context);
  focusTitle();
}

// A page starts at its title, unless it marked the field the person came to fill.
function focusTitle() {
  (main.querySelector("[data-autofocus]") ?? main.querySelector("h1"))?.focus();
}

window.addEventListener("hashchange", render);
// A link to the route already shown starts it afresh (no hashchange fires for it).
document.addEventListener("click", (event) => {
  const link = event.target.closest?.('a[href^="#/"]');
  if (link && link.getAttribute("href") === location.hash) {
    event.preventDefault();
    render();
  }
});
render();
