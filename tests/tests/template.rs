//! `template.yaml` against the code: routes, functions, the table and IAM. Changing one side only
//! makes one of these fail.

use std::collections::BTreeSet;

use integration_tests::{TestDb, lambda_request, lambda_request_with_query};
use serde_json::{Value as Json, json};
use serde_norway::Value;
use shared::catalog::{CATALOG, CHECK_SOURCES, Function, KeyUse, Trigger};
use shared::functions::check_sources;
use shared::functions::dispatch;
use shared::http::Endpoint;
use shared::http::caller::API_KEY_HEADER;
use shared::store::{ClientSettings, table};

fn template() -> Value {
    let path = format!("{}/../template.yaml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_norway::from_str(&text).expect("template.yaml is YAML")
}

fn resources(template: &Value) -> Vec<(String, &Value)> {
    template["Resources"]
        .as_mapping()
        .expect("Resources")
        .iter()
        .map(|(name, resource)| (name.as_str().unwrap().to_owned(), resource))
        .collect()
}

/// `(logical id, binary name, resource)` of every function.
fn functions(template: &Value) -> Vec<(String, String, &Value)> {
    resources(template)
        .into_iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Serverless::Function"))
        .map(|(name, r)| {
            assert_eq!(
                r["Metadata"]["BuildMethod"].as_str(),
                Some("rust-cargolambda"),
                "{name}"
            );
            let binary = r["Metadata"]["BuildProperties"]["Binary"]
                .as_str()
                .expect("Binary")
                .to_owned();
            (name, binary, r)
        })
        .collect()
}

/// The value of a `!Tag value` node, as (tag, value).
fn tagged(value: &Value) -> (String, String) {
    match value {
        Value::Tagged(t) => (
            t.tag.to_string(),
            t.value.as_str().unwrap_or_default().to_owned(),
        ),
        other => panic!("expected a tagged value, found {other:?}"),
    }
}

#[test]
fn template_routes_equal_the_local_gateways() {
    let template = template();
    let mut in_template = BTreeSet::new();
    let mut imgix_in_template = BTreeSet::new();
    for (name, binary, function) in functions(&template) {
        let row = row(&binary);
        for (_, event) in function["Properties"]["Events"]
            .as_mapping()
            .into_iter()
            .flatten()
        {
            // What invokes it is its row's trigger.
            if let Trigger::Schedule(expression) = row.trigger {
                assert_eq!(event["Type"].as_str(), Some("Schedule"), "{name}");
                assert_eq!(event["Properties"]["Schedule"].as_str(), Some(expression));
                continue;
            }
            assert_eq!(event["Type"].as_str(), Some("Api"), "{name}");
            // Only public paths are served without a key (docs/SPEC.md §20).
            let authorizer = render(&event["Properties"]["Auth"]["Authorizer"]);
            if let Trigger::Public(_) = row.trigger {
                assert_eq!(authorizer, "NONE", "{name}");
            } else {
                assert!(matches!(row.trigger, Trigger::Api(_)), "{name}");
                assert_eq!(authorizer, "null", "{name}: the default authorizer");
            }
            let method = event["Properties"]["Method"]
                .as_str()
                .unwrap()
                .to_uppercase();
            let path = event["Properties"]["Path"].as_str().unwrap().to_owned();
            // The native API, or the imgix dialect's own (docs/SPEC.md §24).
            match tagged(&event["Properties"]["RestApiId"]).1.as_str() {
                "SourcesApi" => in_template.insert((method, path, binary.clone())),
                "ImgixApi" => imgix_in_template.insert((method, path, binary.clone())),
                other => panic!("{name}: an event on {other}"),
            };
        }
    }
    let in_code: BTreeSet<(String, String, String)> = image_sources::gateway::routes()
        .into_iter()
        .map(|(method, path, function)| (method, path, function.to_owned()))
        .collect();
    assert_eq!(in_template, in_code);
    let imgix_in_code: BTreeSet<(String, String, String)> = shared::http::imgix::endpoints()
        .map(|endpoint| {
            (
                endpoint.method().to_string(),
                format!("/api/v1{}", endpoint.resource()),
                endpoint.function_name().to_owned(),
            )
        })
        .collect();
    assert_eq!(imgix_in_template, imgix_in_code);
}

/// The imgix dialect's API (docs/SPEC.md §24): its stage names the dialect as the functions read
/// it, its authorizer is the same function on `Authorization` with the same cache time, its
/// gateway responses are the JSON:API error documents the local gateway answers, and it has its
/// own access logs, alarms and outputs.
#[test]
fn the_imgix_api_is_told_apart_by_its_stage_and_answers_in_its_shape() {
    use shared::http::ApiError;
    use shared::http::dialect::{DIALECT_STAGE_VARIABLE, IMGIX_DIALECT};

    let template = template();
    let api = &template["Resources"]["ImgixApi"]["Properties"];
    assert_eq!(
        api["Variables"][DIALECT_STAGE_VARIABLE].as_str(),
        Some(IMGIX_DIALECT)
    );
    assert!(
        template["Resources"]["SourcesApi"]["Properties"]["Variables"].is_null(),
        "the native API names no dialect"
    );
    let auth = &api["Auth"];
    assert_key_authorizer(
        &auth["Authorizers"][auth["DefaultAuthorizer"].as_str().unwrap()],
        "Authorization",
    );
    assert_eq!(render(&api["Name"]), "!Sub ${AWS::StackName}-imgix");
    assert_eq!(
        render(&api["AccessLogSetting"]["DestinationArn"]),
        "!GetAtt ImgixApiAccessLogs.Arn"
    );
    for alarm in ["ImgixApi5xxRateAlarm", "ImgixApiLatencyP99Alarm"] {
        let (_, _, dimensions) = alarm_metric(&template["Resources"][alarm]);
        assert_eq!(dimensions[0], "!Sub ${AWS::StackName}-imgix", "{alarm}");
    }
    assert_eq!(
        render(
            &template["Resources"]["ImgixAuthorizerFailureMetric"]["Properties"]["LogGroupName"]
        ),
        "!Ref ImgixApiAccessLogs"
    );
    for output in [
        "ImgixApiUrl",
        "ImgixCustomDomainUrl",
        "ImgixCustomDomainTarget",
    ] {
        assert!(!template["Outputs"][output].is_null(), "{output}");
    }

    let responses = api["GatewayResponses"].as_mapping().unwrap();
    let body = |name: &str| -> Json {
        let template = responses[name]["ResponseTemplates"]["application/json"]
            .as_str()
            .unwrap();
        serde_json::from_str(&template.replace("$context.error.messageString", "\"m\""))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    for (name, response) in responses {
        let headers = &response["ResponseParameters"]["Headers"];
        assert_eq!(headers["x-request-id"].as_str(), Some("context.requestId"));
        assert_eq!(
            headers["Content-Type"].as_str(),
            Some("'application/vnd.api+json'"),
            "{name:?}"
        );
        let name = name.as_str().unwrap();
        let document = body(name);
        assert_eq!(document["errors"][0]["id"], "$context.requestId", "{name}");
        assert_eq!(
            document["errors"][0]["status"].as_str(),
            response["StatusCode"].as_str(),
            "{name}"
        );
    }
    // What the local gateway answers for the same refusal, with API Gateway's request id.
    for (name, err) in [
        ("UNAUTHORIZED", ApiError::Unauthorized),
        ("ACCESS_DENIED", ApiError::Forbidden),
        ("MISSING_AUTHENTICATION_TOKEN", ApiError::RouteNotFound),
        ("RESOURCE_NOT_FOUND", ApiError::RouteNotFound),
        ("REQUEST_TOO_LARGE", ApiError::PayloadTooLarge),
        ("UNSUPPORTED_MEDIA_TYPE", ApiError::UnsupportedMediaType),
        ("DEFAULT_5XX", ApiError::ResponseTooLarge),
    ] {
        let local = shared::http::imgix::error(&err, "$context.requestId", None);
        assert_eq!(
            responses[name]["StatusCode"].as_str(),
            Some(local.status().as_str()),
            "{name}"
        );
        let local: Json = match local.body() {
            lambda_http::Body::Text(text) => serde_json::from_str(text).unwrap(),
            _ => panic!("{name}: no body"),
        };
        assert_eq!(body(name), local, "{name}");
    }
}

#[test]
fn every_function_is_a_binary_in_functions() {
    let template = template();
    let in_template: BTreeSet<String> = functions(&template)
        .into_iter()
        .map(|(_, b, _)| b)
        .collect();
    let in_code: BTreeSet<String> = CATALOG.iter().map(|f| f.name.to_owned()).collect();
    assert_eq!(in_template, in_code);

    let dir = format!("{}/../functions", env!("CARGO_MANIFEST_DIR"));
    let mut binaries = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let manifest = entry.unwrap().path().join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest).unwrap();
        for line in text.lines().filter(|l| l.starts_with("name = ")) {
            binaries.insert(
                line.trim_start_matches("name = ")
                    .trim_matches('"')
                    .to_owned(),
            );
        }
    }
    assert_eq!(
        binaries, in_template,
        "each functions/<name> crate builds the binary <name>"
    );
}

/// `(first, second)` of each entry of a YAML list of mappings.
fn pairs<'a>(list: &'a Value, first: &str, second: &str) -> Vec<(&'a str, &'a str)> {
    list.as_sequence()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                entry[first].as_str().unwrap(),
                entry[second].as_str().unwrap(),
            )
        })
        .collect()
}

#[test]
fn the_table_matches_the_definition_in_code() {
    let template = template();
    let table = &template["Resources"]["SourcesTable"];
    assert_eq!(table["Type"].as_str(), Some("AWS::DynamoDB::Table"));
    assert_eq!(table["DeletionPolicy"].as_str(), Some("Retain"));
    assert_eq!(table["UpdateReplacePolicy"].as_str(), Some("Retain"));
    let properties = &table["Properties"];
    assert_eq!(
        properties["BillingMode"].as_str(),
        Some(table::BILLING_MODE.as_str())
    );
    let keys = pairs(&properties["KeySchema"], "AttributeName", "KeyType");
    assert_eq!(
        keys,
        [(table::PARTITION_KEY, "HASH"), (table::SORT_KEY, "RANGE")]
    );
    let attributes = pairs(
        &properties["AttributeDefinitions"],
        "AttributeName",
        "AttributeType",
    );
    let mut expected_attributes = vec![(table::PARTITION_KEY, "S"), (table::SORT_KEY, "S")];
    expected_attributes.extend(table::LOCAL_INDEXES.map(|(_, key)| (key, "S")));
    expected_attributes.extend([
        (table::DUE_INDEX_PARTITION_KEY, "S"),
        (table::DUE_INDEX_SORT_KEY, "N"),
    ]);
    assert_eq!(attributes, expected_attributes);
    let global = properties["GlobalSecondaryIndexes"].as_sequence().unwrap();
    assert_eq!(global.len(), 1);
    assert_eq!(global[0]["IndexName"].as_str(), Some(table::DUE_INDEX));
    assert_eq!(
        pairs(&global[0]["KeySchema"], "AttributeName", "KeyType"),
        [
            (table::DUE_INDEX_PARTITION_KEY, "HASH"),
            (table::DUE_INDEX_SORT_KEY, "RANGE")
        ]
    );
    assert_eq!(
        global[0]["Projection"]["ProjectionType"].as_str(),
        Some(table::DUE_INDEX_PROJECTION.as_str())
    );
    let indexes = properties["LocalSecondaryIndexes"].as_sequence().unwrap();
    assert_eq!(indexes.len(), table::LOCAL_INDEXES.len());
    for (index, (name, sort_key)) in indexes.iter().zip(table::LOCAL_INDEXES) {
        assert_eq!(index["IndexName"].as_str(), Some(name));
        assert_eq!(
            pairs(&index["KeySchema"], "AttributeName", "KeyType"),
            [(table::PARTITION_KEY, "HASH"), (sort_key, "RANGE")]
        );
        assert_eq!(
            index["Projection"]["ProjectionType"].as_str(),
            Some(table::NAME_INDEX_PROJECTION.as_str()),
            "{name}"
        );
    }
    assert_eq!(
        properties["TimeToLiveSpecification"]["AttributeName"].as_str(),
        Some(table::TTL_ATTRIBUTE)
    );
    assert_eq!(
        properties["TimeToLiveSpecification"]["Enabled"].as_bool(),
        Some(true)
    );
    assert_eq!(
        properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"].as_bool(),
        Some(true)
    );
    assert_eq!(
        properties["SSESpecification"]["SSEEnabled"].as_bool(),
        Some(true)
    );
    assert_eq!(
        properties["DeletionProtectionEnabled"].as_bool(),
        Some(true)
    );
}

#[test]
fn functions_run_as_the_spec_says() {
    let template = template();
    let globals = &template["Globals"]["Function"];
    assert_eq!(globals["Runtime"].as_str(), Some("provided.al2023"));
    assert_eq!(globals["Architectures"][0].as_str(), Some("arm64"));
    assert_eq!(globals["Handler"].as_str(), Some("bootstrap"));
    assert_eq!(globals["MemorySize"].as_u64(), Some(128));
    assert_eq!(globals["LoggingConfig"]["LogFormat"].as_str(), Some("JSON"));
    // X-Ray on unless TracingEnabled=false; each function's concurrency reserved unless 0.
    assert_eq!(
        render(&globals["Tracing"]),
        "!If [TracesRequests, Active, PassThrough]"
    );
    assert_eq!(
        render(&template["Resources"]["SourcesApi"]["Properties"]["TracingEnabled"]),
        "!If [TracesRequests, true, false]"
    );
    assert_eq!(
        render(&globals["ReservedConcurrentExecutions"]),
        "!If [ReservesConcurrency, !Ref ReservedConcurrency, !Ref AWS::NoValue]"
    );
    let timeout = globals["Timeout"].as_u64().unwrap();
    assert!(timeout as f64 > ClientSettings::default().operation_timeout.as_secs_f64());
    assert_eq!(
        tagged(&globals["Environment"]["Variables"][shared::config::TABLE_NAME_VAR]),
        ("!Ref".to_owned(), "SourcesTable".to_owned())
    );
    // Where the CDN serves sources (docs/SPEC.md §25): stack parameters, optional, passed to
    // every function under the names `CdnSettings::from_env` reads.
    for (variable, parameter) in [
        (shared::domain::urls::BASE_URL_VAR, "CdnBaseUrl"),
        (shared::domain::urls::SUBDOMAIN_ZONE_VAR, "CdnSubdomainZone"),
        (shared::domain::urls::CNAME_TARGET_VAR, "CdnCnameTarget"),
    ] {
        assert_eq!(
            tagged(&globals["Environment"]["Variables"][variable]),
            ("!Ref".to_owned(), parameter.to_owned())
        );
        assert_eq!(
            template["Parameters"][parameter]["Default"].as_str(),
            Some(""),
            "{parameter} is optional"
        );
    }
    let auth = &template["Resources"]["SourcesApi"]["Properties"]["Auth"];
    assert_eq!(auth["DefaultAuthorizer"].as_str(), Some("ApiKeyAuthorizer"));
    assert_key_authorizer(&auth["Authorizers"]["ApiKeyAuthorizer"], API_KEY_HEADER);
}

/// An API's authorizer: the authorizer function as a REQUEST authorizer on `header`, its answer
/// cached 60 s, so that a revoked key stops working within a minute (docs/SPEC.md §26).
fn assert_key_authorizer(authorizer: &Value, header: &str) {
    assert_eq!(authorizer["FunctionPayloadType"].as_str(), Some("REQUEST"));
    assert_eq!(authorizer["Identity"]["Headers"][0].as_str(), Some(header));
    assert_eq!(
        authorizer["Identity"]["ReauthorizeEvery"].as_u64(),
        Some(60)
    );
    assert_eq!(
        tagged(&authorizer["FunctionArn"]).1,
        "AuthorizerFunction.Arn"
    );
}

#[test]
fn gateway_responses_use_the_error_shape_and_carry_the_request_id() {
    let template = template();
    let responses = template["Resources"]["SourcesApi"]["Properties"]["GatewayResponses"]
        .as_mapping()
        .unwrap();
    for required in [
        "UNAUTHORIZED",
        "ACCESS_DENIED",
        "MISSING_AUTHENTICATION_TOKEN",
        "AUTHORIZER_FAILURE",
        "THROTTLED",
        "REQUEST_TOO_LARGE",
        "DEFAULT_4XX",
        "DEFAULT_5XX",
    ] {
        assert!(responses.contains_key(required), "{required}");
    }
    for (name, response) in responses {
        let headers = &response["ResponseParameters"]["Headers"];
        assert_eq!(
            headers["x-request-id"].as_str(),
            Some("context.requestId"),
            "{name:?}"
        );
        assert_eq!(
            headers["Content-Type"].as_str(),
            Some("'application/json'"),
            "{name:?}"
        );
        let body = response["ResponseTemplates"]["application/json"]
            .as_str()
            .unwrap();
        // `$context.error.messageString` is already a quoted JSON string.
        let body: Json =
            serde_json::from_str(&body.replace("$context.error.messageString", "\"m\""))
                .unwrap_or_else(|e| panic!("{name:?}: {e}"));
        let object = body.as_object().unwrap();
        assert_eq!(object.len(), 1, "{name:?}");
        assert!(
            object["errors"]
                .as_array()
                .is_some_and(|e| e.len() == 1 && e[0].is_string())
        );
    }
    let unauthorized: Json = serde_json::from_str(
        responses["UNAUTHORIZED"]["ResponseTemplates"]["application/json"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        unauthorized,
        json!({"errors": [shared::http::error::UNAUTHORIZED_MESSAGE]})
    );
}

#[test]
fn a_key_outside_its_scope_gets_the_local_gateways_403() {
    let template = template();
    let denied =
        &template["Resources"]["SourcesApi"]["Properties"]["GatewayResponses"]["ACCESS_DENIED"];
    assert_eq!(denied["StatusCode"].as_str(), Some("403"));
    let body: Json = serde_json::from_str(
        denied["ResponseTemplates"]["application/json"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let local = shared::http::ApiError::Forbidden;
    assert_eq!(local.status().as_u16(), 403);
    assert_eq!(body, json!({"errors": local.messages()}));
}

/// What a function may touch: the DynamoDB actions granted to each function binary, and the
/// table's indexes they are granted on.
struct Grant {
    actions: BTreeSet<String>,
    indexes: BTreeSet<String>,
    /// On the table's key, through DynamoDB only.
    kms_actions: BTreeSet<String>,
    /// On the table's key, with the storage secrets' encryption context (docs/SPEC.md §21).
    sealing_actions: BTreeSet<String>,
    /// On the fingerprint key.
    fingerprint_actions: BTreeSet<String>,
}

/// The condition of every grant on the sealing key: the purpose, and no context key but the
/// ones the code sends (`shared::sealing`).
fn sealing_condition() -> String {
    format!(
        "{{StringEquals: {{kms:EncryptionContext:purpose: {}}}, ForAllValues:StringEquals: {{kms:EncryptionContextKeys: [{}]}}}}",
        shared::sealing::PURPOSE,
        shared::sealing::CONTEXT_KEYS.join(", ")
    )
}

/// The table's ARN, or one of its indexes' (`${SourcesTable.Arn}/index/<name>`).
fn table_resource(name: &str, resource: &Value, indexes: &mut BTreeSet<String>) {
    let (tag, value) = tagged(resource);
    match tag.as_str() {
        "!GetAtt" => assert_eq!(value, "SourcesTable.Arn", "{name}: this table only"),
        "!Sub" => {
            let index = value
                .strip_prefix("${SourcesTable.Arn}/index/")
                .unwrap_or_else(|| panic!("{name}: {value} is not an index of this table"));
            indexes.insert(index.to_owned());
        }
        other => panic!("{name}: unexpected resource {other} {value}"),
    }
}

/// A template value as text, tags included: `!If [CreatesKey, !GetAtt DataKey.Arn, !Ref KmsKeyArn]`.
fn render(value: &Value) -> String {
    match value {
        Value::Tagged(t) => format!("{} {}", t.tag, render(&t.value)),
        Value::Sequence(items) => format!(
            "[{}]",
            items.iter().map(render).collect::<Vec<_>>().join(", ")
        ),
        Value::Mapping(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}: {}", render(k), render(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".to_owned(),
    }
}

/// The table's key: the stack's own, or the one `KmsKeyArn` names.
const TABLE_KEY: &str = "!If [CreatesKey, !GetAtt DataKey.Arn, !Ref KmsKeyArn]";

fn granted(template: &Value) -> Vec<(String, Grant)> {
    functions(template)
        .into_iter()
        .map(|(name, binary, function)| {
            let mut grant = Grant {
                actions: BTreeSet::new(),
                indexes: BTreeSet::new(),
                kms_actions: BTreeSet::new(),
                sealing_actions: BTreeSet::new(),
                fingerprint_actions: BTreeSet::new(),
            };
            let policies = function["Properties"]["Policies"].as_sequence();
            for policy in policies.into_iter().flatten() {
                for statement in policy["Statement"].as_sequence().unwrap() {
                    assert_eq!(statement["Effect"].as_str(), Some("Allow"));
                    let actions: Vec<String> = statement["Action"]
                        .as_sequence()
                        .unwrap()
                        .iter()
                        .map(|a| a.as_str().unwrap().to_owned())
                        .collect();
                    if actions.iter().all(|a| a.starts_with("kms:"))
                        && render(&statement["Resource"]) == "!GetAtt FingerprintKey.Arn"
                    {
                        assert!(statement.get("Condition").is_none(), "{name}");
                        grant.fingerprint_actions.extend(actions);
                        continue;
                    }
                    if actions.iter().all(|a| a.starts_with("kms:"))
                        && render(&statement["Condition"]) == sealing_condition()
                    {
                        assert_eq!(render(&statement["Resource"]), TABLE_KEY, "{name}");
                        grant.sealing_actions.extend(actions);
                        continue;
                    }
                    if actions.iter().all(|a| a.starts_with("kms:")) {
                        assert_eq!(render(&statement["Resource"]), TABLE_KEY, "{name}");
                        assert_eq!(
                            render(&statement["Condition"]),
                            "{StringEquals: {kms:ViaService: !Sub dynamodb.${AWS::Region}.amazonaws.com}}",
                            "{name}: the key only through DynamoDB"
                        );
                        grant.kms_actions.extend(actions);
                        continue;
                    }
                    assert!(actions.iter().all(|a| a.starts_with("dynamodb:")), "{name}");
                    match statement["Resource"].as_sequence() {
                        Some(resources) => {
                            assert_eq!(
                                tagged(&resources[0]),
                                ("!GetAtt".to_owned(), "SourcesTable.Arn".to_owned()),
                                "{name}: the table first"
                            );
                            for resource in resources {
                                table_resource(&name, resource, &mut grant.indexes);
                            }
                        }
                        None => table_resource(&name, &statement["Resource"], &mut grant.indexes),
                    }
                    for action in statement["Action"].as_sequence().unwrap() {
                        grant.actions.insert(action.as_str().unwrap().to_owned());
                    }
                }
            }
            (binary, grant)
        })
        .collect()
}

/// The catalog's row of `binary`.
fn row(binary: &str) -> &'static Function {
    Function::named(binary).unwrap_or_else(|| panic!("{binary} has no row in the catalog"))
}

fn declared_actions(binary: &str) -> BTreeSet<String> {
    row(binary)
        .dynamodb_actions
        .iter()
        .map(|a| a.to_string())
        .collect()
}

fn declared_indexes(binary: &str) -> BTreeSet<String> {
    row(binary)
        .dynamodb_indexes
        .iter()
        .map(|i| i.to_string())
        .collect()
}

/// What `binary` does with the sealing keys.
fn declared_key_use(binary: &str) -> KeyUse {
    row(binary).key_use
}

/// Each function's timeout and memory are its catalog row's (the Globals' where it gives none).
#[test]
fn each_function_has_its_rows_timeout_and_memory() {
    let template = template();
    let globals = &template["Globals"]["Function"];
    assert_eq!(
        globals["Timeout"].as_u64(),
        Some(shared::catalog::DEFAULT_TIMEOUT_SECONDS)
    );
    assert_eq!(
        globals["MemorySize"].as_u64(),
        Some(shared::catalog::DEFAULT_MEMORY_MB)
    );
    for (name, binary, function) in functions(&template) {
        let properties = &function["Properties"];
        let timeout = properties["Timeout"].as_u64();
        let memory = properties["MemorySize"].as_u64();
        let row = row(&binary);
        assert_eq!(
            timeout.unwrap_or(shared::catalog::DEFAULT_TIMEOUT_SECONDS),
            row.timeout_seconds,
            "{name}"
        );
        assert_eq!(
            memory.unwrap_or(shared::catalog::DEFAULT_MEMORY_MB),
            row.memory_mb,
            "{name}"
        );
    }
}

/// docs/SPEC.md §19, §20: the functions that answer from the request alone have no policy at all,
/// so no DynamoDB and no KMS permission, not even through DynamoDB.
#[test]
fn the_console_and_the_calling_key_have_no_permission_at_all() {
    let template = template();
    let mut without = Vec::new();
    for (name, binary, function) in functions(&template) {
        if function["Properties"].get("Policies").is_none() {
            without.push(binary.clone());
        } else {
            assert!(!declared_actions(&binary).is_empty(), "{name}");
        }
    }
    without.sort();
    assert_eq!(without, [shared::catalog::CONSOLE.name, "get-api-key"]);
    assert!(Endpoint::GetApiKey.dynamodb_actions().is_empty());
    assert_eq!(Endpoint::GetApiKey.key_use(), KeyUse::NONE);
}

#[test]
fn each_function_is_granted_exactly_its_declared_actions() {
    for (binary, grant) in granted(&template()) {
        assert_eq!(grant.actions, declared_actions(&binary), "{binary}");
    }
}

#[test]
fn each_function_is_granted_exactly_the_key_use_its_table_access_needs() {
    for (binary, grant) in granted(&template()) {
        let dynamodb: Vec<String> = declared_actions(&binary).into_iter().collect();
        let dynamodb: Vec<&str> = dynamodb.iter().map(String::as_str).collect();
        let expected: BTreeSet<String> = shared::catalog::kms_actions(&dynamodb)
            .iter()
            .map(|a| a.to_string())
            .collect();
        assert_eq!(grant.kms_actions, expected, "{binary}");
    }
}

/// docs/SPEC.md §21: only the functions `Endpoint::key_use` names may seal or open, and only as
/// it says; no other function may use the sealing key outside DynamoDB's own use of it, and only
/// create-source the fingerprint key. Their environment names the keys, and their `main` builds
/// the KMS client (`serve_with_keys`); nobody else's does.
#[test]
fn only_the_functions_that_seal_or_open_may_use_the_keys() {
    let template = template();
    let functions = functions(&template);
    let mut openers = Vec::new();
    for (binary, grant) in granted(&template) {
        let key_use = declared_key_use(&binary);
        let expected: BTreeSet<String> = key_use
            .sealing_key_actions()
            .into_iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(grant.sealing_actions, expected, "{binary}");
        let fingerprint: BTreeSet<String> = key_use
            .fingerprints
            .then(|| "kms:GenerateMac".to_owned())
            .into_iter()
            .collect();
        assert_eq!(grant.fingerprint_actions, fingerprint, "{binary}");
        if grant.sealing_actions.contains("kms:Decrypt") {
            openers.push(binary.clone());
        }
        let (_, _, function) = functions.iter().find(|(_, b, _)| *b == binary).unwrap();
        let variables = &function["Properties"]["Environment"]["Variables"];
        assert_eq!(
            variables
                .get(shared::sealing::SEALING_KEY_ID_VAR)
                .map(render),
            key_use.any().then(|| TABLE_KEY.to_owned()),
            "{binary}"
        );
        assert_eq!(
            variables
                .get(shared::sealing::FINGERPRINT_KEY_ID_VAR)
                .map(render),
            key_use
                .fingerprints
                .then(|| "!GetAtt FingerprintKey.Arn".to_owned()),
            "{binary}"
        );
        let main = std::fs::read_to_string(format!(
            "{}/../functions/{binary}/src/main.rs",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        assert_eq!(
            main.contains("serve_with_keys(") || main.contains("from_env_with_keys("),
            key_use.any(),
            "{binary}: the KMS client only where it is used"
        );
    }
    openers.sort();
    // The functions that send a secret to the storage (docs/SPEC.md §14, §21).
    assert_eq!(openers, ["check-sources", "update-source", "verify-source"]);
}

#[test]
fn the_table_the_logs_and_the_topic_are_encrypted_with_the_key() {
    let template = template();
    let sse = &template["Resources"]["SourcesTable"]["Properties"]["SSESpecification"];
    assert_eq!(sse["SSEType"].as_str(), Some("KMS"));
    assert_eq!(render(&sse["KMSMasterKeyId"]), TABLE_KEY);
    let log_groups: Vec<_> = resources(&template)
        .into_iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Logs::LogGroup"))
        .collect();
    assert_eq!(
        log_groups.len(),
        functions(&template).len() + 2,
        "one per function, the access log of each API"
    );
    for (name, group) in log_groups {
        assert_eq!(
            render(&group["Properties"]["KmsKeyId"]),
            TABLE_KEY,
            "{name}"
        );
    }
    let topic = &template["Resources"]["AlarmTopic"];
    assert_eq!(render(&topic["Properties"]["KmsMasterKeyId"]), TABLE_KEY);
    let key = &template["Resources"]["DataKey"];
    assert_eq!(key["Condition"].as_str(), Some("CreatesKey"));
    assert_eq!(key["Properties"]["EnableKeyRotation"].as_bool(), Some(true));
    // Only the account (through IAM), CloudWatch Logs and CloudWatch: no wildcard principal.
    for statement in key["Properties"]["KeyPolicy"]["Statement"]
        .as_sequence()
        .unwrap()
    {
        let principal = render(&statement["Principal"]);
        assert!(!principal.contains('*'), "{principal}");
    }
}

/// `(namespace, metric, dimension values)` of an alarm on one metric.
fn alarm_metric(alarm: &Value) -> (String, String, Vec<String>) {
    let properties = &alarm["Properties"];
    let dimensions = properties["Dimensions"]
        .as_sequence()
        .map(|d| d.iter().map(|d| render(&d["Value"])).collect())
        .unwrap_or_default();
    (
        render(&properties["Namespace"]),
        render(&properties["MetricName"]),
        dimensions,
    )
}

const ALARM_ACTIONS: &str = "!If [NotifiesAlarms, [!If [HasAlarmTopicArn, !Ref AlarmTopicArn, !Ref AlarmTopic]], !Ref AWS::NoValue]";

#[test]
fn every_function_has_its_errors_throttles_and_duration_alarms() {
    let template = template();
    let global_timeout = template["Globals"]["Function"]["Timeout"].as_u64().unwrap();
    for (logical, binary, function) in functions(&template) {
        let timeout = function["Properties"]["Timeout"]
            .as_u64()
            .unwrap_or(global_timeout);
        for (suffix, metric) in [
            ("ErrorsAlarm", "Errors"),
            ("ThrottlesAlarm", "Throttles"),
            ("DurationAlarm", "Duration"),
        ] {
            let name = format!("{}{suffix}", logical.trim_end_matches("Function"));
            let alarm = &template["Resources"][name.as_str()];
            assert_eq!(
                alarm_metric(alarm),
                (
                    "AWS/Lambda".to_owned(),
                    metric.to_owned(),
                    vec![format!("!Ref {logical}")]
                ),
                "{binary}: {name}"
            );
            assert_eq!(render(&alarm["Properties"]["AlarmActions"]), ALARM_ACTIONS);
            if metric == "Duration" {
                let threshold = alarm["Properties"]["Threshold"].as_f64().unwrap();
                let limit = (timeout * 1000) as f64;
                assert!(
                    threshold < limit && threshold >= 0.5 * limit,
                    "{binary}: {threshold}"
                );
            }
        }
    }
}

#[test]
fn every_alarm_notifies_the_topic_and_the_api_has_its_own() {
    let template = template();
    let alarms: Vec<_> = resources(&template)
        .into_iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::CloudWatch::Alarm"))
        .collect();
    for (name, alarm) in &alarms {
        assert_eq!(
            render(&alarm["Properties"]["AlarmActions"]),
            ALARM_ACTIONS,
            "{name}"
        );
        assert_eq!(
            render(&alarm["Properties"]["OKActions"]),
            ALARM_ACTIONS,
            "{name}"
        );
    }
    let api = vec![
        "!Sub ${AWS::StackName}-api".to_owned(),
        "!Ref StageName".to_owned(),
    ];
    let api_name = render(&template["Resources"]["SourcesApi"]["Properties"]["Name"]);
    assert_eq!(api_name, api[0], "the alarms find the API by its name");
    for (name, metric) in [
        ("Api5xxRateAlarm", "5XXError"),
        ("ApiLatencyP99Alarm", "Latency"),
    ] {
        assert_eq!(
            alarm_metric(&template["Resources"][name]),
            ("AWS/ApiGateway".to_owned(), metric.to_owned(), api.clone()),
            "{name}"
        );
    }
    let failures = &template["Resources"]["AuthorizerFailureMetric"]["Properties"];
    assert_eq!(render(&failures["LogGroupName"]), "!Ref ApiAccessLogs");
    assert!(render(&failures["FilterPattern"]).contains("AUTHORIZER_FAILURE"));
    let format =
        render(&template["Resources"]["SourcesApi"]["Properties"]["AccessLogSetting"]["Format"]);
    assert!(format.contains(r#""errorType":"$context.error.responseType""#));
}

/// The DynamoDB operations a table alarm sums over.
fn alarm_operations(alarm: &Value) -> BTreeSet<String> {
    alarm["Properties"]["Metrics"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|m| m["MetricStat"]["Metric"]["Dimensions"].as_sequence())
        .flat_map(|d| d.iter())
        .filter(|d| d["Name"].as_str() == Some("Operation"))
        .map(|d| render(&d["Value"]))
        .collect()
}

/// The dashboard's widgets, from its body (a `!Sub` of JSON).
fn dashboard_widgets(template: &Value) -> Vec<Json> {
    let (tag, body) = tagged(&template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]);
    assert_eq!(tag, "!Sub");
    let body: Json = serde_json::from_str(&body).expect("the dashboard body is JSON");
    body["widgets"].as_array().unwrap().clone()
}

fn widget<'a>(widgets: &'a [Json], title: &str) -> &'a Json {
    widgets
        .iter()
        .find(|w| {
            w["properties"]["title"]
                .as_str()
                .is_some_and(|t| t.starts_with(title))
        })
        .unwrap_or_else(|| panic!("no widget {title}"))
}

#[test]
fn the_dashboard_shows_every_function_and_every_route() {
    let template = template();
    let widgets = dashboard_widgets(&template);
    for title in [
        "Function duration",
        "Function errors",
        "Function throttles",
        "Function concurrent executions",
    ] {
        let metrics = widget(&widgets, title)["properties"]["metrics"].to_string();
        for (logical, binary, _) in functions(&template) {
            assert!(
                metrics.contains(&format!("${{{logical}}}")),
                "{title}: {binary}"
            );
        }
    }
    for title in ["API latency p50", "API latency p99"] {
        let metrics = widget(&widgets, title)["properties"]["metrics"]
            .as_array()
            .unwrap()
            .clone();
        for (method, path, _) in shared::routes::all_routes() {
            assert!(
                metrics.iter().any(|m| {
                    let m = m.as_array().unwrap();
                    m.windows(2)
                        .any(|p| p[0] == "Resource" && p[1] == path.as_str())
                        && m.windows(2)
                            .any(|p| p[0] == "Method" && p[1] == method.as_str())
                }),
                "{title}: {method} {path}"
            );
        }
    }
    for title in [
        "API requests",
        "API 4XX and 5XX",
        "DynamoDB consumed capacity",
        "DynamoDB throttles",
    ] {
        widget(&widgets, title);
    }
}

#[test]
fn each_function_is_granted_exactly_the_indexes_it_queries() {
    for (binary, grant) in granted(&template()) {
        assert_eq!(grant.indexes, declared_indexes(&binary), "{binary}");
    }
}

fn r2(name: &str) -> Json {
    json!({"source": {"source": name, "source_type": "r2",
        "credential_attributes": {"access_key": "k", "secret": "secret-value", "bucket": "images"}}})
}

#[tokio::test]
async fn the_code_calls_exactly_the_declared_actions() {
    let db = TestDb::start().await;
    // Verifications resolve no name and reach loopback only: they fail, after the rate counter.
    let verifier = integration_tests::storage::TestNetwork::start()
        .await
        .verifier(false, &[]);
    let state = integration_tests::app_state(db.store.clone())
        .await
        .with_verifier(verifier);
    let run_with = |endpoint: Endpoint,
                    id: Option<String>,
                    body: Option<Json>,
                    query: &'static [(&'static str, &'static str)]| {
        let state = state.clone();
        async move {
            dispatch(
                &state,
                endpoint,
                lambda_request_with_query(
                    endpoint,
                    id.as_deref(),
                    body.map(|b| b.to_string().into_bytes()),
                    query,
                ),
            )
            .await
            .status()
            .as_u16()
        }
    };
    let run = |endpoint: Endpoint, id: Option<String>, body: Option<Json>| {
        run_with(endpoint, id, body, &[])
    };
    const VERIFY: &[(&str, &str)] = &[("verify", "true")];
    let mut operations = BTreeSet::new();
    let key = db.api_key("acme").await;
    db.api_key("other").await;
    let other = integration_tests::sealed(shared::domain::Source::new(
        shared::domain::AccountId::parse("other").unwrap(),
        shared::domain::SourceInput::from_json(r2("taken")["source"].as_object().unwrap())
            .into_new_fields()
            .unwrap(),
    ))
    .await;
    db.store
        .create_source(&other, None, &shared::domain::Actor::default())
        .await
        .unwrap();

    // Every path through each function: success, validation errors, taken names, renames, misses.
    operations.extend(db.counter.snapshot().into_keys());
    db.counter.reset();
    assert_eq!(
        run(Endpoint::CreateSource, None, Some(r2("mine"))).await,
        201
    );
    assert_eq!(
        run(Endpoint::CreateSource, None, Some(r2("taken"))).await,
        422
    );
    assert_eq!(
        run(
            Endpoint::CreateSource,
            None,
            Some(json!({"source": {"source": "taken"}}))
        )
        .await,
        422
    );
    assert_eq!(
        run_with(Endpoint::CreateSource, None, Some(r2("checked")), VERIFY).await,
        422
    );
    let create_actions = db.counter.iam_actions();

    let id = db
        .store
        .list_sources(&shared::domain::AccountId::parse("acme").unwrap())
        .await
        .unwrap()[0]
        .id
        .to_string();
    operations.extend(db.counter.snapshot().into_keys());
    db.counter.reset();
    assert_eq!(run(Endpoint::GetSource, Some(id.clone()), None).await, 200);
    assert_eq!(
        run(
            Endpoint::GetSource,
            Some("69a99ae507f19000072d0125".into()),
            None
        )
        .await,
        404
    );
    let get_actions = db.counter.iam_actions();

    operations.extend(db.counter.snapshot().into_keys());
    db.counter.reset();
    assert_eq!(run(Endpoint::ListSources, None, None).await, 200);
    // Every order and filter: the name orders read the name index.
    for query in [
        &[("sort", "name")][..],
        &[("sort", "-name"), ("q", "mi")],
        &[
            ("sort", "-created_at"),
            ("source_type", "r2,s3"),
            ("enabled", "true"),
        ],
        &[("q", "mi")],
        // The claim of a domain no source serves: one GetItem (docs/SPEC.md §23).
        &[("custom_domain", "images.example.com")],
    ] {
        let parameters: std::collections::HashMap<String, Vec<String>> = query
            .iter()
            .map(|(name, value)| (name.to_string(), vec![value.to_string()]))
            .collect();
        let request = lambda_http::RequestExt::with_query_string_parameters(
            lambda_request(Endpoint::ListSources, None, None),
            parameters,
        );
        assert_eq!(
            dispatch(&state, Endpoint::ListSources, request)
                .await
                .status()
                .as_u16(),
            200,
            "{query:?}"
        );
    }
    let list_actions = db.counter.iam_actions();
    let list_indexes = db.counter.indexes();
    assert_eq!(list_indexes, declared_indexes("list-sources"));

    operations.extend(db.counter.snapshot().into_keys());
    db.counter.reset();
    let patch = |body: Json| Some(json!({"source": body}));
    assert_eq!(
        run(
            Endpoint::UpdateSource,
            Some(id.clone()),
            patch(json!({"credential_attributes": {"prefix": "p/"}}))
        )
        .await,
        200
    );
    assert_eq!(
        run(
            Endpoint::UpdateSource,
            Some(id.clone()),
            patch(json!({"source": "renamed"}))
        )
        .await,
        200
    );
    assert_eq!(
        run(
            Endpoint::UpdateSource,
            Some(id.clone()),
            patch(json!({"source": "taken"}))
        )
        .await,
        422
    );
    assert_eq!(
        run(
            Endpoint::UpdateSource,
            Some(id.clone()),
            patch(json!({"source": "taken", "source_type": "x"}))
        )
        .await,
        422
    );
    assert_eq!(
        run_with(
            Endpoint::UpdateSource,
            Some(id.clone()),
            patch(json!({"source": "rechecked"})),
            VERIFY
        )
        .await,
        422
    );
    let update_actions = db.counter.iam_actions();

    operations.extend(db.counter.snapshot().into_keys());
    db.counter.reset();
    assert_eq!(
        run(Endpoint::VerifySource, Some(id.clone()), None).await,
        200
    );
    assert_eq!(
        run(
            Endpoint::VerifySource,
            Some("69a99ae507f19000072d0125".into()),
            None
        )
        .await,
        404
    );
    let verify_actions = db.counter.iam_actions();

    operations.extend(db.counter.snapshot().into_keys());
    db.counter.reset();
    // A sweep a day later: every source of the suite is due, their checks fail (loopback is
    // refused), so each result comes with its health_changed event.
    let later = shared::domain::Timestamp::now()
        .plus_seconds(shared::domain::health::DAY_SECONDS)
        .unwrap();
    let report = shared::functions::check_sources::sweep(&state, later, "template-sweep")
        .await
        .unwrap();
    assert!(report.checks() >= 1 && report.changed >= 1, "{report:?}");
    let sweep_actions = db.counter.iam_actions();
    assert_eq!(db.counter.indexes(), declared_indexes(CHECK_SOURCES.name));

    operations.extend(db.counter.snapshot().into_keys());
    db.counter.reset();
    assert_eq!(
        run(Endpoint::RotateSecretToken, Some(id.clone()), None).await,
        200
    );
    assert_eq!(
        run(
            Endpoint::RotateSecretToken,
            Some("69a99ae507f19000072d0125".into()),
            None
        )
        .await,
        404
    );
    let rotate_actions = db.counter.iam_actions();

    operations.extend(db.counter.snapshot().into_keys());
    db.counter.reset();
    assert_eq!(
        run(Endpoint::DeleteSource, Some(id.clone()), None).await,
        200
    );
    assert_eq!(
        run(Endpoint::DeleteSource, Some(id.clone()), None).await,
        404
    );
    let delete_actions = db.counter.iam_actions();

    operations.extend(db.counter.snapshot().into_keys());
    db.counter.reset();
    // Both event listings: a source with events, one without (GetItem tells it from none), the
    // account's.
    assert_eq!(
        run(Endpoint::ListSourceEvents, Some(id.clone()), None).await,
        200
    );
    assert_eq!(
        run(
            Endpoint::ListSourceEvents,
            Some("69a99ae507f19000072d0125".into()),
            None
        )
        .await,
        404
    );
    assert_eq!(run(Endpoint::ListEvents, None, None).await, 200);
    let events_actions = db.counter.iam_actions();
    let events_indexes = db.counter.indexes();
    assert_eq!(events_indexes, declared_indexes("list-events"));

    // The account's keys (docs/SPEC.md §26): listed, one made (and one refused), one revoked
    // (and one not found).
    operations.extend(db.counter.snapshot().into_keys());
    db.counter.reset();
    assert_eq!(run(Endpoint::ListApiKeys, None, None).await, 200);
    let list_keys_actions = db.counter.iam_actions();
    operations.extend(db.counter.snapshot().into_keys());
    db.counter.reset();
    assert_eq!(
        run(
            Endpoint::CreateApiKey,
            None,
            Some(serde_json::json!({"label": "made", "scope": "read"}))
        )
        .await,
        201
    );
    assert_eq!(
        run(Endpoint::CreateApiKey, None, Some(serde_json::json!({}))).await,
        422
    );
    let create_key_actions = db.counter.iam_actions();
    operations.extend(db.counter.snapshot().into_keys());
    let made = db
        .store
        .list_api_keys(&shared::domain::AccountId::parse("acme").unwrap())
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.label == "made")
        .unwrap();
    db.counter.reset();
    let made_id = made.hash.key_id().to_owned();
    assert_eq!(
        run(Endpoint::RevokeApiKey, Some(made_id.clone()), None).await,
        204
    );
    assert_eq!(run(Endpoint::RevokeApiKey, Some(made_id), None).await, 404);
    let revoke_key_actions = db.counter.iam_actions();

    // The authorizer: a key's first use of the day, then another use.
    operations.extend(db.counter.snapshot().into_keys());
    let fresh = shared::domain::ApiKey::generate();
    db.store
        .create_api_key(
            &shared::domain::AccountId::parse("acme").unwrap(),
            &fresh.hash(),
            &shared::store::KeyGrant::default(),
            &shared::domain::Actor::operator(),
        )
        .await
        .unwrap();
    db.counter.reset();
    for _ in 0..2 {
        shared::http::caller::caller_for_key(&db.store, Some(fresh.reveal()))
            .await
            .unwrap();
    }
    shared::http::caller::caller_for_key(&db.store, Some(&key))
        .await
        .unwrap();
    let authorizer_actions = db.counter.iam_actions();
    operations.extend(db.counter.snapshot().into_keys());

    for (binary, observed) in [
        ("create-source", create_actions),
        ("get-source", get_actions),
        ("list-sources", list_actions),
        ("update-source", update_actions),
        ("delete-source", delete_actions),
        ("list-events", events_actions),
        ("rotate-secret-token", rotate_actions),
        ("verify-source", verify_actions),
        (CHECK_SOURCES.name, sweep_actions),
        ("list-api-keys", list_keys_actions),
        ("create-api-key", create_key_actions),
        ("revoke-api-key", revoke_key_actions),
        (shared::catalog::AUTHORIZER.name, authorizer_actions),
    ] {
        assert_eq!(observed, declared_actions(binary), "{binary}");
    }
    // The table alarms sum over every operation the functions call.
    let template = template();
    for alarm in ["TableSystemErrorsAlarm", "TableThrottledRequestsAlarm"] {
        assert_eq!(
            alarm_operations(&template["Resources"][alarm]),
            operations,
            "{alarm}"
        );
    }
}

#[test]
fn the_template_never_opens_the_verify_guard_or_redirects_its_endpoints() {
    // The guard's loopback switch and the endpoint overrides are for tests and local emulators:
    // in AWS every verification goes to the provider's documented endpoint, through the guard.
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml"))
        .expect("template.yaml");
    assert!(!text.contains(shared::verify::ALLOW_LOOPBACK_VAR));
    assert!(!text.contains(shared::verify::ENDPOINT_VAR_PREFIX));
    let template = template();
    let globals = &template["Globals"]["Function"]["Environment"]["Variables"];
    let mut variables: Vec<String> = globals
        .as_mapping()
        .map(|m| {
            m.keys()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    for (_, _, function) in functions(&template) {
        if let Some(own) = function["Properties"]["Environment"]["Variables"].as_mapping() {
            variables.extend(own.keys().filter_map(|k| k.as_str().map(str::to_owned)));
        }
    }
    assert!(
        variables.contains(&"TABLE_NAME".to_owned()),
        "{variables:?}"
    );
    assert!(
        variables.iter().all(|v| !v.starts_with("VERIFY_")),
        "{variables:?}"
    );
}

/// docs/SPEC.md §22: the sweep's function ends well within its timeout (no check starts after
/// the claim window, and the last one ends within the check's deadline and its DynamoDB calls),
/// its claims outlive a run, and its alarms and dashboard read the metrics the code publishes.
#[test]
fn the_sweep_ends_within_its_timeout_and_its_alarms_read_its_metrics() {
    let template = template();
    let (_, _, function) = functions(&template)
        .into_iter()
        .find(|(_, binary, _)| binary == CHECK_SOURCES.name)
        .unwrap();
    assert_eq!(
        function["Properties"]["Timeout"].as_u64(),
        Some(CHECK_SOURCES.timeout_seconds)
    );
    let worst = check_sources::CLAIM_WINDOW
        + shared::verify::DEADLINE
        + 3 * ClientSettings::default().operation_timeout;
    assert!(
        worst.as_secs() * 2 <= CHECK_SOURCES.timeout_seconds,
        "{worst:?} is not well within the timeout"
    );
    assert!(check_sources::LEASE_SECONDS as u64 > CHECK_SOURCES.timeout_seconds);
    for alarm in ["FailingSourcesAlarm", "CheckErrorsAlarm"] {
        let (namespace, metric, dimensions) = alarm_metric(&template["Resources"][alarm]);
        assert_eq!(namespace, check_sources::METRICS_NAMESPACE, "{alarm}");
        assert!(check_sources::METRICS.contains(&metric.as_str()), "{alarm}");
        assert_eq!(dimensions, [check_sources::METRICS_SERVICE], "{alarm}");
    }
    let widgets = dashboard_widgets(&template);
    let shown = format!(
        "{}{}",
        widget(&widgets, "Source health checks")["properties"]["metrics"],
        widget(&widgets, "Source health run duration")["properties"]["metrics"]
    );
    for metric in check_sources::METRICS {
        assert!(shown.contains(&format!("\"{metric}\"")), "{metric}");
    }
}
