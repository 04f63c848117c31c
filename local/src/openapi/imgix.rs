//! The imgix dialect's own OpenAPI 3.1 document (docs/SPEC.md §24), `docs/openapi-imgix.json`:
//! imgix's paths, Bearer keys, JSON:API documents, imgix's list parameters and error objects,
//! built from the dialect's tables (the types and each one's storage fields, the delivery fields,
//! the filters, the limits), as the native document is from the native ones. The imgix port
//! (`serve --imgix-port`) serves it at `/openapi.json`.

use serde_json::{Map, Value, json};
use shared::domain::delivery::{
    CacheBehavior, MAX_ANNOTATION_CHARS, MAX_CUSTOM_DOMAINS, MAX_DEFAULT_PARAMS,
    MAX_PARAM_VALUE_CHARS, MAX_SUBDOMAINS, MAX_TTL_SECONDS, MIN_ERROR_TTL_SECONDS, MIN_TTL_SECONDS,
    UrlSignature,
};
use shared::domain::imgix::{self as mapping, imgix_type, storage_fields};
use shared::domain::{MAX_NAME_CHARS, MAX_VALUE_CHARS, SourceType};
use shared::http::REQUEST_ID_HEADER;
use shared::http::error::MAX_BODY_BYTES;
use shared::http::imgix::{
    DEFAULT_PAGE_SIZE, LIST_PATH, MAX_PAGE_NUMBER, MAX_PAGE_SIZE, MEDIA_TYPE,
};

/// imgix's types, in the order of its documentation.
fn types() -> Vec<&'static str> {
    let mut types: Vec<&'static str> = SourceType::ALL.iter().map(|t| imgix_type(*t).0).collect();
    types.dedup();
    types.sort_unstable();
    types.dedup();
    types
}

fn providers() -> Vec<&'static str> {
    SourceType::ALL
        .iter()
        .filter_map(|t| imgix_type(*t).1)
        .collect()
}

/// Every storage field of every type, once: (name, secret).
fn all_storage_fields() -> Vec<(&'static str, bool)> {
    let mut fields: Vec<(&'static str, bool)> = Vec::new();
    for source_type in SourceType::ALL {
        for (name, _, secret) in storage_fields(source_type) {
            if name != mapping::STORAGE_PROVIDER && !fields.iter().any(|(n, _)| *n == name) {
                fields.push((name, secret));
            }
        }
    }
    fields
}

/// The schema of each delivery field (imgix's names).
fn delivery_schema(name: &str) -> Value {
    let nullable = |schema: Value| json!({"anyOf": [schema, {"type": "null"}]});
    match name {
        "custom_domains" => nullable(
            json!({"type": "array", "maxItems": MAX_CUSTOM_DOMAINS, "uniqueItems": true,
            "items": {"type": "string", "maxLength": 253, "pattern": "^[A-Za-z0-9-]{1,63}(\\.[A-Za-z0-9-]{1,63})+$"}}),
        ),
        "imgix_subdomains" => nullable(
            json!({"type": "array", "maxItems": MAX_SUBDOMAINS, "uniqueItems": true,
            "items": {"type": "string", "minLength": 1, "maxLength": 63, "pattern": "^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"}}),
        ),
        "default_params" => nullable(
            json!({"type": "object", "maxProperties": MAX_DEFAULT_PARAMS,
            "propertyNames": {"pattern": "^[a-z0-9-]{1,32}$"},
            "additionalProperties": {"type": "string", "maxLength": MAX_PARAM_VALUE_CHARS}}),
        ),
        "cache_ttl_behavior" => nullable(json!({"type": "string",
            "enum": CacheBehavior::ALL.iter().map(CacheBehavior::as_str).collect::<Vec<_>>()})),
        "cache_ttl_value" => nullable(
            json!({"type": "integer", "minimum": MIN_TTL_SECONDS, "maximum": MAX_TTL_SECONDS}),
        ),
        "cache_ttl_error" => nullable(
            json!({"type": "integer", "minimum": MIN_ERROR_TTL_SECONDS, "maximum": MAX_TTL_SECONDS}),
        ),
        "image_error" | "image_missing" => nullable(
            json!({"type": "string", "format": "uri", "pattern": "^https?://", "maxLength": MAX_VALUE_CHARS}),
        ),
        "url_signature" => nullable(json!({"type": "string",
            "enum": UrlSignature::ALL.iter().map(UrlSignature::as_str).collect::<Vec<_>>(),
            "description": "How signed URLs carry their signature: imgix's s (the default for sources made here) or ImageBoss's bossToken."})),
        "annotation" => nullable(json!({"type": "string", "maxLength": MAX_ANNOTATION_CHARS})),
        // The append flags and the cross-domain file.
        _ => nullable(json!({"type": "boolean"})),
    }
}

/// `deployment` as a request gives it (every field optional: a PATCH merges key by key) or as a
/// response shows it.
fn deployment(input: bool) -> Value {
    let mut properties = Map::new();
    properties.insert(
        mapping::TYPE.to_owned(),
        json!({"type": "string", "enum": types()}),
    );
    properties.insert(
        mapping::STORAGE_PROVIDER.to_owned(),
        json!({"type": "string", "enum": providers(), "description": "For s3_compatible sources."}),
    );
    for (name, secret) in all_storage_fields() {
        if secret && !input {
            continue;
        }
        let mut schema = json!({"type": "string", "maxLength": MAX_VALUE_CHARS});
        if secret {
            schema["writeOnly"] = json!(true);
            schema["description"] = json!("Write-only: never returned.");
        }
        properties.insert(
            name.to_owned(),
            if input {
                json!({"anyOf": [schema, {"type": "null"}]})
            } else {
                schema
            },
        );
    }
    properties.insert(
        mapping::SECURE_URL_ENABLED.to_owned(),
        if input {
            json!({"anyOf": [{"type": "boolean"}, {"type": "null"}]})
        } else {
            json!({"type": "boolean"})
        },
    );
    properties.insert(
        mapping::ALLOWS_UPLOAD.to_owned(),
        json!({"type": "boolean", "readOnly": true, "description": "Always false: uploads are not supported."}),
    );
    for name in mapping::delivery_fields() {
        let schema = delivery_schema(name);
        properties.insert(
            name.to_owned(),
            if input {
                schema
            } else {
                // A response shows every field; only the images and the annotation may be null.
                match name {
                    "image_error" | "image_missing" | "annotation" => schema,
                    _ => schema["anyOf"][0].clone(),
                }
            },
        );
    }
    let mut schema =
        json!({"type": "object", "additionalProperties": !input, "properties": properties});
    if !input {
        let mut required = vec![
            mapping::TYPE,
            mapping::SECURE_URL_ENABLED,
            mapping::ALLOWS_UPLOAD,
        ];
        required.extend(mapping::delivery_fields());
        schema["required"] = json!(required);
    } else {
        schema["description"] = json!(
            "imgix's deployment: the type, the type's storage fields and the delivery settings. On a create, imgix_subdomains must hold at least one subdomain."
        );
    }
    schema
}

/// What a create or an update sends as `data.attributes`.
fn attributes_input() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME_CHARS, "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]*$"},
            "enabled": {"type": "boolean"},
            "deployment": {"$ref": "#/components/schemas/DeploymentInput"},
            "deployment_status": {"readOnly": true},
            "date_deployed": {"readOnly": true},
            "secure_url_token": {"readOnly": true}
        }
    })
}

/// A source as a response shows it; in a list (`sparse`), `fields[sources]` may have kept only
/// some of its attributes.
fn resource(sparse: bool) -> Value {
    let mut resource = json!({
        "type": "object",
        "required": ["type", "id", "attributes", "meta"],
        "properties": {
            "type": {"const": "sources"},
            "id": {"type": "string", "pattern": "^[0-9a-f]{24}$"},
            "attributes": {
                "type": "object",
                "required": ["name", "enabled", "deployment_status", "date_deployed", "deployment"],
                "properties": {
                    "name": {"type": "string"},
                    "enabled": {"type": "boolean"},
                    "deployment_status": {"enum": ["deployed", "disabled"]},
                    "date_deployed": {"type": "integer"},
                    "secure_url_token": {"type": "string", "description": "Present only when secure_url_enabled; **** for a read key."},
                    "deployment": {"$ref": "#/components/schemas/Deployment"}
                }
            },
            "meta": {
                "type": "object",
                "description": "What imgix does not have.",
                "required": ["version", "created_at", "updated_at", "secrets_updated_at", "health", "urls"],
                "properties": {
                    "version": {"type": "integer", "minimum": 1},
                    "created_at": {"type": "string", "format": "date-time"},
                    "updated_at": {"type": "string", "format": "date-time"},
                    "secrets_updated_at": {"type": "string", "format": "date-time"},
                    "health": {"type": "object"},
                    "urls": {"type": "object"}
                }
            }
        }
    });
    if sparse {
        resource["properties"]["attributes"]["required"] = json!([]);
        resource["properties"]["attributes"]["properties"]["deployment"] = json!({"type": "object",
            "description": "Every field of Deployment, or those fields[sources] names."});
    }
    resource
}

fn envelope(data: Value, meta: Value) -> Value {
    json!({
        "type": "object",
        "required": ["data", "included", "jsonapi", "meta"],
        "properties": {
            "data": data,
            "included": {"type": "array", "maxItems": 0},
            "jsonapi": {"type": "object", "properties": {"version": {"const": "1.0"}}},
            "meta": meta
        }
    })
}

fn pagination() -> Value {
    json!({
        "type": "object",
        "required": ["pagination"],
        "properties": {"pagination": {
            "type": "object",
            "required": ["currentPage", "pageSize", "totalPages", "totalRecords", "hasNextPage", "hasPreviousPage", "nextPage", "previousPage"],
            "properties": {
                "currentPage": {"type": "integer", "minimum": 0},
                "pageSize": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
                "totalPages": {"type": "integer", "minimum": 0},
                "totalRecords": {"type": "integer", "minimum": 0},
                "hasNextPage": {"type": "boolean"},
                "hasPreviousPage": {"type": "boolean"},
                "nextPage": {"type": ["integer", "null"]},
                "previousPage": {"type": ["integer", "null"]}
            }
        }}
    })
}

fn errors() -> Value {
    json!({
        "type": "object",
        "required": ["errors"],
        "properties": {
            "errors": {"type": "array", "minItems": 1, "items": {
                "type": "object",
                "required": ["status", "code", "title", "detail"],
                "properties": {
                    "id": {"type": "string"},
                    "status": {"type": "string", "pattern": "^[45][0-9]{2}$"},
                    "code": {"type": "string", "pattern": "^[a-z_]+$"},
                    "title": {"type": "string", "pattern": "^[A-Za-z]+$"},
                    "detail": {"type": "string"},
                    "source": {"type": "object", "properties": {
                        "pointer": {"type": "string", "pattern": "^/data"},
                        "parameter": {"type": "string"}
                    }},
                    "meta": {"type": "object"}
                }
            }}
        }
    })
}

fn content(schema: &str) -> Value {
    json!({MEDIA_TYPE: {"schema": {"$ref": format!("#/components/schemas/{schema}")}}})
}

/// The answers every operation may give besides its own.
fn common_responses(mut own: Map<String, Value>, statuses: &[&str]) -> Value {
    let request_id = json!({REQUEST_ID_HEADER: {"schema": {"type": "string"}, "required": true}});
    for status in statuses {
        let description = match *status {
            "400" => "Invalid: one error object per problem, with the field or parameter at fault.",
            "401" => "No key, another scheme, or a key that does not work.",
            "403" => "The key's scope does not allow it, or a create named its own id.",
            "404" => "No such source in the key's account.",
            "409" => "data.type is not sources, or data.id is not the path's.",
            "412" => "If-Match names another version.",
            "413" => "The body is over the limit.",
            "415" => "A body in another media type.",
            "429" => "Too many verifications this minute (with ?verify=true).",
            _ => "Briefly unavailable: retry after Retry-After.",
        };
        let mut response = json!({"description": description, "headers": request_id.clone(), "content": content("Errors")});
        if *status == "429" || *status == "503" {
            response["headers"]["Retry-After"] =
                json!({"schema": {"type": "string", "pattern": "^[0-9]+$"}, "required": true});
        }
        own.insert((*status).to_owned(), response);
    }
    Value::Object(own)
}

fn one_source(status: &str, description: &str, location: bool) -> Map<String, Value> {
    let mut headers = json!({
        REQUEST_ID_HEADER: {"schema": {"type": "string"}, "required": true},
        "ETag": {"schema": {"type": "string", "pattern": "^\"[0-9]+\"$"}, "required": true}
    });
    if location {
        headers["Location"] = json!({"schema": {"type": "string", "pattern": "^/api/v1/sources/[0-9a-f]{24}$"}, "required": true});
    }
    let mut map = Map::new();
    map.insert(
        status.to_owned(),
        json!({"description": description, "headers": headers, "content": content("SourceDocument"),
            "links": {
                "GetSource": {"operationId": "getSource", "parameters": {"id": "$response.body#/data/id"}},
                "UpdateSource": {"operationId": "updateSource", "parameters": {"id": "$response.body#/data/id"}},
                "DeleteSource": {"operationId": "deleteSource", "parameters": {"id": "$response.body#/data/id"}}
            }}),
    );
    map
}

fn list_parameters() -> Vec<Value> {
    let mut parameters = vec![
        json!({"name": "page[number]", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": MAX_PAGE_NUMBER, "default": 0}}),
        json!({"name": "page[size]", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE}}),
        json!({"name": "sort", "in": "query", "schema": {"type": "string",
            "pattern": "^-?(name|date_deployed|enabled)(,-?(name|date_deployed|enabled))*$"},
            "description": "Comma-separated; - for descending. By name when absent."}),
        json!({"name": "fields[sources]", "in": "query", "schema": {"type": "string"},
            "description": "The attributes kept; dotted paths reach into deployment."}),
        json!({"name": "filter[name:eq]", "in": "query", "schema": {"type": "string"},
            "description": "The exact name, in any letter case (import by name)."}),
    ];
    for filter in shared::http::imgix::FILTERS {
        parameters.push(
            json!({"name": format!("filter[{filter}]"), "in": "query", "schema": {"type": "string"},
            "description": "A case-insensitive substring (true or false for enabled)."}),
        );
    }
    parameters
}

/// The whole document.
pub fn document() -> Value {
    let id = json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[0-9a-f]{24}$"}});
    let if_match = json!({"name": "If-Match", "in": "header", "schema": {"type": "string"}});
    let verify = json!({"name": "verify", "in": "query", "schema": {"type": "string", "enum": ["true", "false"]}});
    let idempotency = json!({"name": "Idempotency-Key", "in": "header", "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7e]+$"}});
    let mut list_ok = Map::new();
    list_ok.insert(
        "200".to_owned(),
        json!({"description": "One page of the account's sources.",
            "headers": {REQUEST_ID_HEADER: {"schema": {"type": "string"}, "required": true}},
            "content": content("SourceList")}),
    );
    let deleted = {
        let mut map = Map::new();
        map.insert(
            "204".to_owned(),
            json!({"description": "Deleted (imgix has no delete).",
            "headers": {REQUEST_ID_HEADER: {"schema": {"type": "string"}, "required": true}}}),
        );
        map
    };
    let body = |schema: &str| {
        json!({"required": true, "content": {
            MEDIA_TYPE: {"schema": {"$ref": format!("#/components/schemas/{schema}")}},
            "application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}
        }})
    };
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Image Sources: the imgix dialect",
            "version": env!("CARGO_PKG_VERSION"),
            "description": format!("imgix's Management API for sources (docs/SPEC.md §24), on a host of its own: the same sources, keys and accounts as the native API. Bodies are at most {MAX_BODY_BYTES} bytes.")
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": {
            LIST_PATH: {
                "get": {"operationId": "listSources", "summary": "One page of the account's sources",
                    "parameters": list_parameters(),
                    "responses": common_responses(list_ok, &["400", "401", "415", "503"])},
                "post": {"operationId": "createSource", "summary": "Create a source",
                    "parameters": [verify, idempotency],
                    "requestBody": body("CreateDocument"),
                    "responses": common_responses(one_source("201", "Created.", true), &["400", "401", "403", "409", "413", "415", "429", "503"])}
            },
            format!("{LIST_PATH}/{{id}}"): {
                "parameters": [id],
                "get": {"operationId": "getSource", "summary": "One source",
                    "responses": common_responses(one_source("200", "The source.", false), &["401", "404", "415", "503"])},
                "patch": {"operationId": "updateSource", "summary": "Change a source (deployment merged key by key)",
                    "parameters": [if_match.clone(), {"name": "verify", "in": "query", "schema": {"type": "string", "enum": ["true", "false"]}}],
                    "requestBody": body("UpdateDocument"),
                    "responses": common_responses(one_source("200", "The source as changed.", false), &["400", "401", "403", "404", "409", "412", "413", "415", "429", "503"])},
                "delete": {"operationId": "deleteSource", "summary": "Delete a source",
                    "parameters": [if_match],
                    "responses": common_responses(deleted, &["401", "403", "404", "412", "415", "503"])}
            }
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                "description": "An API key of the native API, as Authorization: Bearer <key>."}},
            "schemas": {
                "DeploymentInput": deployment(true),
                "Deployment": deployment(false),
                "Source": resource(false),
                "ListedSource": resource(true),
                "SourceDocument": envelope(json!({"$ref": "#/components/schemas/Source"}), json!({"type": "object"})),
                "SourceList": envelope(json!({"type": "array", "items": {"$ref": "#/components/schemas/ListedSource"}}), pagination()),
                "CreateDocument": {"type": "object", "required": ["data"],
                    "example": {"data": {"type": "sources", "attributes": {"name": "my-web-folder",
                        "deployment": {"type": "webfolder", "webfolder_base_url": "https://my-domain.com/images/",
                            "imgix_subdomains": ["my-web-folder"]}}}, "jsonapi": {"version": "1.0"}},
                    "properties": {
                    "data": {"type": "object", "required": ["type", "attributes"], "properties": {
                        "type": {"const": "sources"},
                        "attributes": attributes_input()
                    }},
                    "jsonapi": {"type": "object"}
                }},
                "UpdateDocument": {"type": "object", "required": ["data"], "properties": {
                    "data": {"type": "object", "required": ["type", "id"], "properties": {
                        "type": {"const": "sources"},
                        "id": {"type": "string", "pattern": "^[0-9a-f]{24}$"},
                        "attributes": attributes_input()
                    }},
                    "jsonapi": {"type": "object"}
                }},
                "Errors": errors()
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_describes_every_field_the_mapping_reads() {
        let document = document();
        let input = &document["components"]["schemas"]["DeploymentInput"]["properties"];
        for source_type in SourceType::ALL {
            for (name, _, _) in storage_fields(source_type) {
                assert!(input.get(name).is_some(), "{name}");
            }
        }
        for name in mapping::delivery_fields() {
            assert!(input.get(name).is_some(), "{name}");
        }
        assert_eq!(
            types(),
            [
                "azure",
                "gcs",
                "s3",
                "s3_compatible",
                "webfolder",
                "webproxy"
            ]
        );
    }
}
