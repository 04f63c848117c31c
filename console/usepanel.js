// "Use this source" (docs/SPEC.md §25, §27): where the CDN serves the source's images, a signed
// example made in the browser for keys that see the signing token, and the object check: type a
// path, see whether the CDN would find it.
import { api } from "./api.js";
import { copyButton, fill, h, problem, route, uniqueId } from "./dom.js";
import { apiWords, describe } from "./words.js";

/**
 * The panel for `source` (as the API answered it); `tokens` when the key sees signing tokens,
 * `writes` when it may change the source (then a custom domain is one link away).
 */
export function usePanel(source, { tokens, writes }) {
  const urls = source.urls ?? {};
  const bases = [urls.path, ...(urls.subdomains ?? []), ...(urls.custom_domains ?? [])].filter(
    Boolean,
  );
  const signs = source.credentials?.require_token === "true";
  return h(
    "section",
    { class: "use", "aria-labelledby": "use-title" },
    h("h2", { id: "use-title" }, "Use this source"),
    bases.length
      ? [
          h("p", {}, "Its images are served at:"),
          h(
            "ul",
            { class: "urls" },
            bases.map((base) => h("li", {}, h("code", {}, `${base}<image path>`))),
          ),
        ]
      : h("p", {}, "This server does not say where its CDN serves images."),
    writes
      ? h(
          "p",
          {},
          h(
            "a",
            { href: `${route("sources", source.id, "edit")}?add=custom_domains` },
            "Add a custom domain",
          ),
        )
      : null,
    urls.custom_domains?.length && urls.cname_target
      ? h(
          "p",
          {},
          "Point each custom domain at ",
          h("code", {}, urls.cname_target),
          " with a CNAME record.",
        )
      : null,
    signs
      ? tokens
        ? source.delivery?.url_signature === "imgix"
          ? h(
              "p",
              {},
              "Image addresses must be signed as imgix signs them: use imgix's libraries with the signing token below.",
            )
          : signedExample(source, urls.path)
        : h(
            "p",
            {},
            "Image addresses must be signed. This key cannot see the signing token, so it cannot show a signed example.",
          )
      : h("p", {}, "Image addresses need no signature."),
    objectCheck(source),
  );
}

/** `bossToken`: hex(HMAC-SHA256(token, path)), as the CDN checks it (docs/SPEC.md §3). */
async function bossToken(token, path) {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(token),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const signature = await crypto.subtle.sign("HMAC", key, encoder.encode(path));
  return Array.from(new Uint8Array(signature), (b) => b.toString(16).padStart(2, "0")).join("");
}

function signedExample(source, base) {
  const id = uniqueId("sign-path");
  const input = h("input", { id, type: "text", value: "photos/cat.jpg", autocomplete: "off" });
  const out = h("p", { class: "signed", "aria-live": "polite" });
  async function show() {
    const image = input.value.replace(/^\/+/, "");
    const path = `/${source.source}/${image}`;
    try {
      const signature = await bossToken(source.credentials.secret_token, path);
      const address = base
        ? `${base}${image}?bossToken=${signature}`
        : `${path}?bossToken=${signature}`;
      fill(out, h("code", {}, address), " ", copyButton(address, "Copy the signed address"));
    } catch {
      fill(out, "This browser cannot sign here (it needs a secure page).");
    }
  }
  input.addEventListener("input", show);
  show();
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, "A signed example for the image at this path"),
    input,
    out,
  );
}

function objectCheck(source) {
  const id = uniqueId("object-path");
  const input = h("input", {
    id,
    type: "text",
    placeholder: "photos/cat.jpg",
    autocomplete: "off",
    required: true,
  });
  const result = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { class: "action" },
    h(
      "div",
      { class: "field" },
      h("label", { for: id }, "Would the CDN find this image? Its path in the storage"),
      input,
    ),
    h("button", { type: "submit", class: "secondary" }, "Check the image"),
    result,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const path = `/${input.value.trim().replace(/^\/+/, "")}`;
    fill(result, h("p", {}, "Asking the storage…"));
    try {
      const { data } = await api.verifySource(source.id, path);
      const check = (data.verification.checks ?? []).find((c) => c.check === "object");
      fill(result, objectResult(check, data.verification));
    } catch (error) {
      fill(result, problem(describe(error)));
    }
    const shown = result.firstChild;
    shown?.setAttribute("tabindex", "-1");
    shown?.focus();
  });
  return form;
}

function objectResult(check, verification) {
  if (!check) {
    return problem(
      verification.error?.message
        ? apiWords(verification.error.message)
        : "The storage could not be asked for the image.",
    );
  }
  if (check.result === "ok") {
    const size = check.content_length?.toLocaleString();
    return h(
      "div",
      { class: "done", role: "status" },
      "Found",
      check.content_type ? `: ${check.content_type}` : "",
      size ? `, ${size} bytes` : "",
      ".",
    );
  }
  return problem(
    `Not found: ${check.message ? apiWords(check.message) : "the storage did not give it"}`,
  );
}
