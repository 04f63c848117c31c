//! `cargo run --release -p bench`: builds the functions, measures them, and writes
//! `docs/bench/results.{json,md}`, `docs/bench/cold-start.svg` and the results section of
//! `docs/BENCHMARKS.md`. See docs/BENCHMARKS.md for what each figure means.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bench::lambda::{Case, EventSource};
use bench::process::{Backend, KmsBackend, Subject};
use bench::report::{Results, Settings, Size};
use bench::workload::{
    Events, FUNCTIONS, IMGIX_SUBJECTS, OBJECT_CHECK_SUBJECT, OBJECT_KEY, events_dir,
    imgix_create_body, seed_sources, source_body, verifiable_body,
};
use bench::{artifacts, chart, gateway, lambda, machine, paging, python, report};
use clap::Parser;
use integration_tests::fault_proxy::FaultProxy;
use serde_json::json;
use shared::sealing::{Keys, KmsKeys};
use shared::store::ClientSettings;

#[derive(Debug, Parser)]
#[command(about = "Cold start, memory, size, round trips, latency and scale of the functions")]
struct Args {
    /// Fresh processes per subject for the cold-start figures.
    #[arg(long, default_value_t = 30)]
    runs: usize,
    /// Invocations of one process before its peak RSS is read.
    #[arg(long, default_value_t = 200)]
    warm_invocations: usize,
    /// Requests per endpoint and concurrency level through the local gateway.
    #[arg(long, default_value_t = 400)]
    requests: usize,
    /// Requests per scale point (GET and LIST each).
    #[arg(long, default_value_t = 1_000)]
    scale_requests: usize,
    /// Items of other accounts in the table for the second scale point.
    #[arg(long, default_value_t = 100_000)]
    foreign_items: usize,
    /// Sources of the large account in the listing figures (against an account of 100).
    #[arg(long, default_value_t = 10_000)]
    paging_sources: usize,
    /// Also run the scale figures on this DynamoDB-compatible server, `URL` or `NAME=URL`
    /// ("DynamoDB Local=http://127.0.0.1:8000", say). Repeatable.
    #[arg(long, value_parser = parse_endpoint)]
    scale_endpoint: Vec<(String, String)>,
    /// Leave out the Python reference.
    #[arg(long)]
    no_python: bool,
    /// Leave out the arm64 zips even if cargo-lambda is installed (they take minutes to build).
    #[arg(long)]
    no_zip: bool,
    /// Small numbers everywhere, results under the target directory: checks the harness itself.
    #[arg(long)]
    quick: bool,
    /// An extra cold-start subject, `NAME=PATH`: a get-source binary from another commit, say, to
    /// measure a change before and after. Invoked with the get-source event. Repeatable.
    #[arg(long, value_parser = parse_compare)]
    compare: Vec<(String, PathBuf)>,
    /// Where results.json, results.md and cold-start.svg go [default: docs/bench, or
    /// target/bench/quick with --quick]; docs/BENCHMARKS.md is updated only with the default.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Only print the console's weight (docs/SPEC.md §20), and stop.
    #[arg(long)]
    console_weight: bool,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn parse_endpoint(raw: &str) -> Result<(String, String), String> {
    let (name, url) = match raw.split_once('=') {
        Some((name, url)) if url.starts_with("http") => (name.to_owned(), url.to_owned()),
        _ => (raw.to_owned(), raw.to_owned()),
    };
    url.starts_with("http://")
        .then_some((name, url))
        .ok_or_else(|| format!("{raw}: expected an http:// endpoint"))
}

fn parse_compare(raw: &str) -> Result<(String, PathBuf), String> {
    let (name, path) = raw.split_once('=').ok_or("expected NAME=PATH")?;
    let path = PathBuf::from(path);
    if name.is_empty() || !path.is_file() {
        return Err(format!("{raw}: expected NAME=PATH of an executable"));
    }
    Ok((name.to_owned(), path))
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let mut args = Args::parse();
    if args.quick {
        (args.runs, args.warm_invocations, args.requests) = (3, 10, 32);
        (args.scale_requests, args.foreign_items, args.no_zip) = (50, 2_000, true);
        args.paging_sources = 1_000;
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("no workspace above bench/")?
        .to_path_buf();
    match bench::console_weight::measure() {
        Ok((raw, compressed)) => eprintln!(
            "console: {:.1} KB, {:.1} KB compressed (gzip -9, file by file; target <= {} KB)",
            raw as f64 / 1000.0,
            compressed as f64 / 1000.0,
            bench::console_weight::MAX_COMPRESSED_BYTES / 1000
        ),
        Err(err) => eprintln!("console weight not measured: {err}"),
    }
    if args.console_weight {
        return Ok(());
    }
    let machine = machine::Machine::read(&workspace);
    let mut notes = Vec::new();

    eprintln!("building the functions and hello-world (release profile) ...");
    let mut packages: Vec<&str> = FUNCTIONS.to_vec();
    packages.push(artifacts::HELLO_WORLD);
    let binaries = artifacts::release_binaries(&workspace, &packages)?;
    let target_dir = binaries[artifacts::HELLO_WORLD]
        .parent()
        .and_then(Path::parent)
        .ok_or("no target directory")?
        .to_path_buf();
    let bench_dir = target_dir.join("bench");
    let out = args.out.clone().unwrap_or_else(|| {
        if args.quick {
            bench_dir.join("quick")
        } else {
            workspace.join("docs/bench")
        }
    });
    let home = bench_dir.join("home");
    std::fs::create_dir_all(&home)?;

    let python = if args.no_python {
        notes.push("the Python reference was left out (--no-python)".to_owned());
        None
    } else {
        eprintln!("preparing the Python reference (venv with awslambdaric and boto3) ...");
        match python::reference(&workspace.join("bench"), &python::default_venv(&target_dir)) {
            Ok(subject) => Some(subject),
            Err(why) => {
                notes.push(format!("no Python reference: {why}"));
                None
            }
        }
    };

    eprintln!(
        "starting moto's KMS server (venv with moto[server]) for the functions that seal ..."
    );
    let (_kms_server, kms_endpoint) =
        python::kms_server(&workspace.join("bench"), &python::kms_venv(&target_dir)).await?;
    let kms_client = KmsKeys::local_client(&kms_endpoint, ClientSettings::default());
    let (sealing_key_id, fingerprint_key_id) = KmsKeys::create_keys(&kms_client).await?;
    // The gateway seeds with the keys the functions use, so verify-source opens what it sealed.
    let keys = Arc::new(Keys::kms(KmsKeys::new(
        kms_client,
        sealing_key_id.clone(),
        Some(fingerprint_key_id.clone()),
    )));

    eprintln!("starting the embedded DynamoDB and the local gateway, seeding ...");
    let app = integration_tests::TestApp::builder()
        .sealing_with(keys)
        .spawn()
        .await;
    let proxy = FaultProxy::start(&app.db.endpoint).await;
    let direct = Backend {
        dynamodb_endpoint: app.db.endpoint.clone(),
        table: app.db.table.clone(),
        home: home.clone(),
        kms: Some(KmsBackend {
            endpoint: kms_endpoint.clone(),
            sealing_key_id,
            fingerprint_key_id,
        }),
    };
    let counted = Backend {
        dynamodb_endpoint: proxy.endpoint.clone(),
        ..direct.clone()
    };
    let events = Events::new(events_dir(&workspace));
    let acme_key = app.db.api_key("acme").await;
    let acme_ids = seed_sources(&app, &acme_key, "acme", 20).await?;
    let delete_key = app.db.api_key("bench-delete").await;
    // The verify check's storage: s3s-fs on loopback, which verify-source reaches through its
    // guard with the loopback switch on (the template never sets it).
    let s3 = integration_tests::storage::S3Server::start(Default::default()).await;

    let workload = Workload {
        app: &app,
        events: &events,
        binaries: &binaries,
        acme_key: &acme_key,
        acme_ids: &acme_ids,
        delete_key: &delete_key,
        s3: &s3,
    };
    let mut cases = cases(&workload)?;
    let get_event = events.endpoint("get-source", "acme", Some(&acme_ids[0]), None)?;
    let subject = |name: &str| subject_of(&binaries, name);
    if let Some(python) = python {
        cases.push(Case {
            subject: python,
            events: fixed(get_event.clone()),
        });
    }

    // Compared builds are interleaved with the rest in the cold starts, and left out after.
    let measured = cases.len();
    cases.extend(args.compare.iter().map(|(name, path)| Case {
        subject: Subject {
            name: name.clone(),
            program: path.clone(),
            ..subject("get-source")
        },
        events: fixed(get_event.clone()),
    }));

    eprintln!("cold starts ({} per subject) ...", args.runs);
    let mut cold_starts = lambda::cold_starts(&mut cases, &direct, args.runs).await?;
    let compared = cold_starts.split_off(measured);
    cases.truncate(measured);
    eprintln!(
        "warm runs ({} invocations, DynamoDB counted) ...",
        args.warm_invocations
    );
    let warm = lambda::warm_runs(&mut cases, &counted, &proxy, args.warm_invocations).await?;
    drop(cases);

    eprintln!("latency through the local gateway ...");
    let latency = gateway::latency(&app, &[1, 16], args.requests).await?;
    drop(app);

    let (scale, listing) = scale_and_listing(&args).await?;

    eprintln!("the health sweep: a batch at s3s-fs, a batch at a storage that never answers ...");
    let sweep = match bench::sweep::measure().await {
        Ok(sweep) => Some(sweep),
        Err(why) => {
            notes.push(format!("no health sweep figures: {why}"));
            None
        }
    };

    let (capacity, capacity_on) = capacity(&args, &mut notes).await;
    let costs = bench::cost::per_million(&capacity, &warm);
    let daily_checks = sweep
        .as_ref()
        .and_then(|sweep| bench::sweep::daily_cost(&capacity, sweep));

    let sizes = sizes(&args, &workspace, &bench_dir, &binaries, &mut notes)?;

    let mut results = Results {
        machine,
        settings: Settings {
            cold_start_runs: args.runs,
            warm_invocations: args.warm_invocations,
            latency_requests: args.requests,
            concurrency_levels: vec![1, 16],
            scale_requests: args.scale_requests,
            foreign_items: args.foreign_items,
            paging_sources: args.paging_sources,
        },
        cold_starts,
        compared,
        warm,
        sizes,
        latency,
        scale,
        listing,
        capacity,
        capacity_on,
        prices: bench::cost::PRICES,
        costs,
        sweep,
        daily_checks,
        notes,
        targets: Vec::new(),
    };
    results.judge(&FUNCTIONS, python::NAME);
    // Only a full run with the default output updates the committed document.
    let doc = (args.out.is_none() && !args.quick).then(|| workspace.join("docs/BENCHMARKS.md"));
    write_results(&results, &out, doc)?;
    Ok(())
}

/// The function `name`, as built, started with nothing set.
fn subject_of(binaries: &std::collections::BTreeMap<String, PathBuf>, name: &str) -> Subject {
    Subject {
        name: name.to_owned(),
        program: binaries[name].clone(),
        args: Vec::new(),
        working_dir: None,
        env: Vec::new(),
    }
}

/// The same event at every invocation.
fn fixed<'a>(event: axum::body::Bytes) -> EventSource<'a> {
    Box::new(move || {
        let event = event.clone();
        Box::pin(async move { Ok(event) })
    })
}

/// What the functions are invoked with: the seeded API, its events and sources, the storage.
struct Workload<'a> {
    app: &'a integration_tests::TestApp,
    events: &'a Events,
    binaries: &'a std::collections::BTreeMap<String, PathBuf>,
    acme_key: &'a str,
    acme_ids: &'a [String],
    delete_key: &'a str,
    s3: &'a integration_tests::storage::S3Server,
}

/// One case per function, each with the events it is invoked with (verify-source twice: with
/// the object check too).
fn cases<'a>(workload: &Workload<'a>) -> Result<Vec<Case<'a>>, BoxError> {
    let Workload {
        app,
        events,
        binaries,
        acme_key,
        acme_ids,
        delete_key,
        s3,
    } = *workload;
    // What the functions that reach a storage are started with: the guard's loopback switch,
    // and S3 pointed at s3s-fs.
    let at_loopback_s3 = vec![
        (
            shared::verify::ALLOW_LOOPBACK_VAR.to_owned(),
            "1".to_owned(),
        ),
        (
            format!("{}S3", shared::verify::ENDPOINT_VAR_PREFIX),
            s3.endpoint.clone(),
        ),
    ];
    let subject = |name: &str| subject_of(binaries, name);
    let get_event = events.endpoint("get-source", "acme", Some(&acme_ids[0]), None)?;
    let app_ref = app;
    let patch_id = acme_ids[1].clone();
    let rotate_id = acme_ids[2].clone();
    let mut creates = 0usize;
    let mut patches = 0usize;
    let mut deletes = 0usize;
    let mut verifies = 0usize;
    let mut object_checks = 0usize;
    let mut key_creates = 0usize;
    let mut key_revokes = 0usize;
    let mut imgix_creates = 0usize;
    let mut imgix_patches = 0usize;
    let imgix_patch_id = acme_ids[3].clone();
    // The object the object check finds (docs/SPEC.md §25): 200 KB, of which it reads 64 KiB.
    s3.put_object(OBJECT_KEY, &vec![b'x'; 200_000]);
    let cases: Vec<Case> = vec![
        Case {
            subject: subject("get-source"),
            events: fixed(get_event.clone()),
        },
        Case {
            subject: subject("list-sources"),
            events: fixed(events.endpoint("list-sources", "acme", None, None)?),
        },
        Case {
            subject: subject("create-source"),
            events: Box::new(move || {
                creates += 1;
                let body = source_body(&format!("cold-created-{creates}"));
                Box::pin(async move {
                    events.endpoint("create-source", "bench-create", None, Some(&body))
                })
            }),
        },
        Case {
            subject: subject("update-source"),
            events: Box::new(move || {
                patches += 1;
                let flag = if patches.is_multiple_of(2) {
                    "true"
                } else {
                    "false"
                };
                let body =
                    json!({ "source": { "credential_attributes": { "require_token": flag } } });
                let id = patch_id.clone();
                Box::pin(
                    async move { events.endpoint("update-source", "acme", Some(&id), Some(&body)) },
                )
            }),
        },
        Case {
            subject: subject("delete-source"),
            // Each invocation deletes a source seeded for it just before.
            events: Box::new(move || {
                deletes += 1;
                let n = deletes;
                Box::pin(async move {
                    let ids = seed_sources(app_ref, delete_key, &format!("doomed-{n}"), 1).await?;
                    events.endpoint("delete-source", "bench-delete", Some(&ids[0]), None)
                })
            }),
        },
        Case {
            subject: subject("rotate-secret-token"),
            events: Box::new(move || {
                let id = rotate_id.clone();
                let body = json!({ "grace_period": 60 });
                Box::pin(async move {
                    events.endpoint("rotate-secret-token", "acme", Some(&id), Some(&body))
                })
            }),
        },
        Case {
            // A source's events (the account's are the same Query on the table).
            subject: subject("list-events"),
            events: fixed(events.endpoint(
                "list-events-source",
                "acme",
                Some(&acme_ids[0]),
                None,
            )?),
        },
        Case {
            // Each invocation verifies a source of an account of its own: an account may run
            // 10 verifications a minute, and the figures are of verifications that ran.
            subject: Subject {
                env: at_loopback_s3.clone(),
                ..subject("verify-source")
            },
            events: Box::new(move || {
                verifies += 1;
                let n = verifies;
                Box::pin(async move {
                    let account = format!("bench-verify-{n}");
                    let key = app_ref.db.api_key(&account).await;
                    let created = app_ref
                        .post(
                            "/v1/sources",
                            &key,
                            &verifiable_body(&format!("verified-{n}")),
                        )
                        .await;
                    let id = created.json()["id"].as_str().unwrap_or_default().to_owned();
                    events.endpoint("verify-source", &account, Some(&id), None)
                })
            }),
        },
        Case {
            // The same with `{"path"}`: the object check's GET of a 200 KB object after the
            // listing, at s3s-fs (docs/SPEC.md §25).
            subject: Subject {
                name: OBJECT_CHECK_SUBJECT.to_owned(),
                env: at_loopback_s3.clone(),
                ..subject("verify-source")
            },
            events: Box::new(move || {
                object_checks += 1;
                let n = object_checks;
                Box::pin(async move {
                    let account = format!("bench-object-{n}");
                    let key = app_ref.db.api_key(&account).await;
                    let created = app_ref
                        .post(
                            "/v1/sources",
                            &key,
                            &verifiable_body(&format!("object-{n}")),
                        )
                        .await;
                    let id = created.json()["id"].as_str().unwrap_or_default().to_owned();
                    let body = json!({ "path": format!("/{OBJECT_KEY}") });
                    events.endpoint("verify-source", &account, Some(&id), Some(&body))
                })
            }),
        },
        Case {
            subject: subject("authorizer"),
            events: fixed(events.authorizer(acme_key)?),
        },
        Case {
            // One sweep per invocation, as the schedule invokes it: the first runs check the
            // seeded sources (at s3s-fs, which refuses their keys), the rest find nothing due
            // (the 16 shard Queries). The sweep's own figures are measured apart below.
            subject: Subject {
                env: at_loopback_s3.clone(),
                ..subject(shared::catalog::CHECK_SOURCES.name)
            },
            events: fixed(events.scheduled()?),
        },
        Case {
            subject: subject("get-api-key"),
            events: fixed(events.endpoint("get-api-key", "acme", None, None)?),
        },
        Case {
            // The account's keys (docs/SPEC.md §26): acme's kit key and the seeding's.
            subject: subject("list-api-keys"),
            events: fixed(events.endpoint("list-api-keys", "acme", None, None)?),
        },
        Case {
            // Each invocation makes a key for an account of its own: an account holds 20.
            subject: subject("create-api-key"),
            events: Box::new(move || {
                key_creates += 1;
                let n = key_creates;
                Box::pin(async move {
                    let body = json!({"label": format!("bench {n}"), "scope": "read"});
                    events.endpoint(
                        "create-api-key",
                        &format!("bench-keys-{n}"),
                        None,
                        Some(&body),
                    )
                })
            }),
        },
        Case {
            // Each invocation revokes a (write) key made for it just before, in an account of
            // its own.
            subject: subject("revoke-api-key"),
            events: Box::new(move || {
                key_revokes += 1;
                let n = key_revokes;
                Box::pin(async move {
                    let account = format!("bench-revoke-{n}");
                    let key = app_ref.db.api_key(&account).await;
                    let id = shared::domain::ApiKey::from_header(&key)
                        .map(|k| k.hash().key_id().to_owned())
                        .unwrap_or_default();
                    events.endpoint("revoke-api-key", &account, Some(&id), None)
                })
            }),
        },
        Case {
            subject: subject(shared::catalog::CONSOLE.name),
            events: fixed(events.console()?),
        },
        // The imgix dialect beside the native calls (docs/SPEC.md §24).
        Case {
            subject: Subject {
                name: IMGIX_SUBJECTS[0].0.to_owned(),
                ..subject(IMGIX_SUBJECTS[0].1)
            },
            events: fixed(events.imgix_endpoint("get-source", "acme", Some(&acme_ids[0]), None)?),
        },
        Case {
            subject: Subject {
                name: IMGIX_SUBJECTS[1].0.to_owned(),
                ..subject(IMGIX_SUBJECTS[1].1)
            },
            events: fixed(events.imgix_endpoint("list-sources", "acme", None, None)?),
        },
        Case {
            subject: Subject {
                name: IMGIX_SUBJECTS[2].0.to_owned(),
                ..subject(IMGIX_SUBJECTS[2].1)
            },
            events: Box::new(move || {
                imgix_creates += 1;
                let body = imgix_create_body(&format!("imgix-created-{imgix_creates}"));
                Box::pin(async move {
                    events.imgix_endpoint("create-source", "bench-create", None, Some(&body))
                })
            }),
        },
        Case {
            subject: Subject {
                name: IMGIX_SUBJECTS[3].0.to_owned(),
                ..subject(IMGIX_SUBJECTS[3].1)
            },
            events: Box::new(move || {
                imgix_patches += 1;
                let id = imgix_patch_id.clone();
                let ttl = if imgix_patches.is_multiple_of(2) {
                    3600
                } else {
                    7200
                };
                let body = json!({"data": {"type": "sources", "id": id,
                    "attributes": {"deployment": {"cache_ttl_value": ttl}}}});
                Box::pin(async move {
                    events.imgix_endpoint("update-source", "acme", Some(&id), Some(&body))
                })
            }),
        },
        Case {
            subject: subject(artifacts::HELLO_WORLD),
            events: fixed(get_event.clone()),
        },
    ];
    Ok(cases)
}

/// Latency as the table grows (foreign items of other accounts) and a page's cost as an account
/// grows, on the embedded DynamoDB and on each `--scale-endpoint`.
async fn scale_and_listing(
    args: &Args,
) -> Result<(Vec<gateway::ScaleResult>, Vec<paging::PagingResult>), BoxError> {
    eprintln!("scale ({} foreign items) ...", args.foreign_items);
    let server = match std::env::var("DYNAMODB_TEST_ENDPOINT") {
        Ok(endpoint) if !endpoint.is_empty() => endpoint,
        _ => "embedded dynoxide".to_owned(),
    };
    let mut servers = vec![(server, None)];
    servers.extend(
        args.scale_endpoint
            .iter()
            .map(|(name, url)| (name.clone(), Some(url.clone()))),
    );
    let mut scale = Vec::new();
    let mut listing = Vec::new();
    for (name, url) in servers {
        eprintln!("scale on {name} ...");
        let empty_app = match url.clone() {
            Some(url) => integration_tests::TestApp::builder().at(url).spawn().await,
            None => integration_tests::spawn_app().await,
        };
        // The second table lives on the same server as the first.
        let loaded_app = integration_tests::TestApp::builder()
            .at(empty_app.db.endpoint.clone())
            .spawn()
            .await;
        let empty = gateway::ScaleTable::seed(&empty_app, 20).await?;
        let loaded = gateway::ScaleTable::seed(&loaded_app, 20).await?;
        let result = gateway::scale(
            &empty,
            &loaded,
            name.clone(),
            args.foreign_items,
            args.scale_requests,
        )
        .await?;
        scale.push(result);
        drop((empty_app, loaded_app));

        eprintln!(
            "listing on {name}: a page of {} in accounts of {} and {} sources ...",
            paging::PAGE,
            paging::SMALL_ACCOUNT,
            args.paging_sources
        );
        let paging_app = match url {
            Some(url) => integration_tests::TestApp::builder().at(url).spawn().await,
            None => integration_tests::spawn_app().await,
        };
        listing.push(
            paging::paging(&paging_app, name, args.paging_sources, args.scale_requests).await?,
        );
    }

    Ok((scale, listing))
}

/// The bill: capacity per call where the server reports it (DynamoDB Local does; dynoxide
/// counts no local secondary index writes), priced later with the warm durations.
async fn capacity(
    args: &Args,
    notes: &mut Vec<String>,
) -> (Vec<bench::cost::CapacityResult>, Option<String>) {
    let capacity_server = args.scale_endpoint.first().cloned().or_else(|| {
        std::env::var("DYNAMODB_TEST_ENDPOINT")
            .ok()
            .filter(|e| !e.is_empty())
            .map(|e| (e.clone(), e))
    });
    match capacity_server {
        Some((name, url)) => {
            eprintln!("consumed capacity per call on {name} ...");
            match bench::cost::capacity(&url).await {
                Ok(capacity) => (capacity, Some(name)),
                Err(why) => {
                    notes.push(format!("no capacity figures: {why}"));
                    (Vec::new(), None)
                }
            }
        }
        None => {
            notes.push(
                "no capacity figures: they are taken on the first --scale-endpoint (DynamoDB \
                 Local: dynoxide counts no local secondary index writes)"
                    .to_owned(),
            );
            (Vec::new(), None)
        }
    }
}

/// Each function's bootstrap and (with cargo-lambda) arm64 zip, and whether it links the verify
/// check.
fn sizes(
    args: &Args,
    workspace: &Path,
    bench_dir: &Path,
    binaries: &std::collections::BTreeMap<String, PathBuf>,
    notes: &mut Vec<String>,
) -> Result<Vec<Size>, BoxError> {
    let zips = if args.no_zip {
        notes.push("arm64 zips left out (--no-zip)".to_owned());
        None
    } else if !artifacts::cargo_lambda_available() {
        notes.push("arm64 zips not built: cargo-lambda is not installed".to_owned());
        None
    } else {
        eprintln!("building the arm64 zips with cargo-lambda (minutes) ...");
        Some(artifacts::arm64_zips(
            workspace,
            &FUNCTIONS,
            &bench_dir.join("lambda"),
        )?)
    };
    let mut sizes = Vec::new();
    for function in FUNCTIONS.iter().chain([&artifacts::HELLO_WORLD]) {
        let zip_bytes = match zips.as_ref().and_then(|z| z.get(*function)) {
            Some(zip) => Some(std::fs::metadata(zip)?.len()),
            None => None,
        };
        sizes.push(Size {
            function: (*function).to_owned(),
            bootstrap_bytes: std::fs::metadata(&binaries[*function])?.len(),
            zip_bytes,
            links_verify_check: artifacts::links_verify_check(&binaries[*function])?,
        });
    }

    Ok(sizes)
}

fn write_results(results: &Results, out: &Path, doc: Option<PathBuf>) -> Result<(), BoxError> {
    std::fs::create_dir_all(out)?;
    let markdown = results.markdown();
    std::fs::write(
        out.join("results.json"),
        serde_json::to_string_pretty(results)?,
    )?;
    std::fs::write(out.join("results.md"), &markdown)?;
    let charted: Vec<_> = results
        .cold_starts
        .iter()
        .chain(&results.compared)
        .cloned()
        .collect();
    chart::cold_starts(&out.join("cold-start.svg"), &charted)?;
    if !results.costs.is_empty() {
        chart::costs(&out.join("cost.svg"), &results.costs)?;
    }
    if let Some(doc) = doc {
        let text = std::fs::read_to_string(&doc).unwrap_or_default();
        match report::splice(&text, &markdown) {
            Some(updated) => std::fs::write(&doc, updated)?,
            None => eprintln!("{} has no bench markers; left alone", doc.display()),
        }
    }
    println!("{markdown}");
    eprintln!("results in {}", out.display());
    Ok(())
}
