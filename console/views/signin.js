// Sign in with an API key (docs/SPEC.md §20): the key is checked with GET /v1/api_key (§19) and
// kept in this tab's sessionStorage only.
import { api } from "../api.js";
import { fill, h, problem } from "../dom.js";
import { session } from "../session.js";
import { describe } from "../words.js";

export function signInView(main, { onSignedIn, notice }) {
  const input = h("input", {
    id: "api-key",
    name: "api-key",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    "aria-describedby": "api-key-help",
    "aria-required": "true",
  });
  const message = h("div", {}, notice ? problem(notice) : null);
  const button = h("button", { type: "submit" }, "Sign in");
  const form = h(
    "form",
    {
      class: "card narrow",
      novalidate: true,
      async onsubmit(event) {
        event.preventDefault();
        const key = input.value.trim();
        if (!key) {
          fill(message, problem("Paste an API key first."));
          input.focus();
          return;
        }
        button.disabled = true;
        session.signIn(key);
        try {
          const { data } = await api.apiKey();
          onSignedIn(data.api_key);
        } catch (error) {
          session.signOut();
          fill(message, problem(describe(error)));
          input.focus();
        } finally {
          button.disabled = false;
        }
      },
    },
    h("h1", { tabindex: "-1" }, "Sign in"),
    h("div", { class: "field" }, h("label", { for: "api-key" }, "API key"), input),
    h(
      "p",
      { class: "help", id: "api-key-help" },
      "The key (isk_…) is kept in this browser tab only, and forgotten when you sign out or close the tab.",
    ),
    button,
    message,
  );
  fill(main, form);
}
