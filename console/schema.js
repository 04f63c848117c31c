// What the forms are made of comes from the published OpenAPI document (docs/SPEC.md §18, §20),
// served with the console's files: a new source type or credential key needs no console change.

let loading = null;

/** The OpenAPI document, fetched once. */
export function contract() {
  loading ??= fetch(new URL("openapi.json", import.meta.url), { credentials: "omit" }).then((r) => {
    if (!r.ok) throw new Error(`the OpenAPI document answered HTTP ${r.status}`);
    return r.json();
  });
  loading.catch(() => {
    loading = null;
  });
  return loading;
}

/** `schema` with its `$ref` followed. */
export function resolve(doc, schema) {
  let found = schema;
  while (found?.$ref) found = doc.components.schemas[found.$ref.split("/").pop()];
  return found ?? {};
}

/** `schema` without its "or null": `{schema, nullable}`. */
export function unwrap(doc, schema) {
  let found = resolve(doc, schema);
  let nullable = false;
  if (Array.isArray(found.anyOf)) {
    const others = found.anyOf.filter((s) => s.type !== "null");
    nullable = others.length < found.anyOf.length;
    if (others.length === 1)
      found = {
        ...resolve(doc, others[0]),
        description: found.description ?? resolve(doc, others[0]).description,
      };
  }
  if (Array.isArray(found.type) && found.type.includes("null")) nullable = true;
  return { schema: found, nullable };
}

/** The storage types a create may name, each with its create schema, in the document's order. */
export function sourceTypes(doc) {
  return doc.components.schemas.CreateRequest.properties.source.oneOf.map((ref) => {
    const schema = resolve(doc, ref);
    return { type: schema.properties.source_type.enum[0], schema };
  });
}

/** A type's credential keys, required first, each with its schema and whether it is a secret. */
export function credentialKeys(doc, type) {
  const create = sourceTypes(doc).find((t) => t.type === type)?.schema;
  const attributes = resolve(doc, create?.properties?.credential_attributes);
  const required = new Set(attributes.required ?? []);
  const keys = Object.entries(attributes.properties ?? {}).map(([key, schema]) => ({
    key,
    schema,
    required: required.has(key),
    secret: schema.writeOnly === true,
  }));
  keys.sort((a, b) => Number(b.required) - Number(a.required));
  return { keys, description: attributes.description };
}

/** The statuses a source's health may have (§22). */
export function healthStatuses(doc) {
  return resolve(doc, doc.components.schemas.Health).properties?.status?.enum ?? [];
}

/** The delivery settings' input schema (§23). */
export function deliverySchema(doc) {
  return resolve(doc, doc.components.schemas.DeliveryInput);
}

/** The name's schema and the `enabled` flag's, for the top of every form. */
export function topFields(doc, type) {
  const create = sourceTypes(doc).find((t) => t.type === type)?.schema ?? {};
  return {
    name: resolve(doc, create.properties?.source),
    enabled: create.properties?.enabled ?? {},
  };
}
