//! `image-sources serve | init | keys ...`.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use shared::AppState;
use shared::domain::{
    AccountId, Actor, ApiKey, CdnSettings, KeyLabel, KeyScope, SourceName, Timestamp,
    delivery::UrlSignature, signing,
};
use shared::functions::check_sources;
use shared::http::Dialect;
use shared::store::{
    ApiKeyRecord, ClientSettings, KeyGrant, KeyTarget, LastAdmin, Store, StoreError,
    client_from_env, local_client, table,
};
use tokio::net::TcpListener;

use crate::dev_key::{DEV_KEY_FILE, describe, ensure_dev_key};
use crate::sealing::{KeyArgs, seal_secrets};
use crate::{embedded, gateway};

#[derive(Parser, Debug)]
#[command(
    name = "image-sources",
    version,
    about = "Image Sources API: local gateway and admin command"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the API on 127.0.0.1 over an embedded (or external) DynamoDB.
    Serve(ServeArgs),
    /// Create the table if it does not exist, on `--dynamodb-endpoint` or `--aws` (`serve` makes
    /// its own embedded DynamoDB's).
    Init(Target),
    /// Manage API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Print PATH signed with the source's current token as the CDN checks it: `PATH?bossToken=...`,
    /// or `PATH?s=...` for a source whose `delivery.url_signature` is `imgix`. PATH is the image
    /// URL's path, without a query: starting with `/<source>/` for `bossToken`; for `imgix`, the
    /// path on the host that serves it (a subdomain's has no `/<source>/`).
    Sign {
        /// The source's name (case-insensitive).
        #[arg(long)]
        source: String,
        path: String,
        #[command(flatten)]
        target: Target,
    },
    /// Print the API's OpenAPI 3.1 document (what `serve` publishes at /openapi.json).
    Openapi {
        /// The imgix dialect's document instead (what the imgix port publishes at /openapi.json).
        #[arg(long)]
        imgix: bool,
    },
    /// Seal every storage secret still stored in clear (written before sealing existed), in place,
    /// and put every enabled source stored before health checks existed in the due index:
    /// idempotent, resumable, safe beside live traffic. With --aws, the stack's KMS key
    /// (SEALING_KEY_ID).
    SealSecrets {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        keys: KeyArgs,
    },
    /// Run one health sweep now (docs/SPEC.md §22): check the sources due, as the scheduled
    /// `check-sources` function does every minute (for cron, or to see it happen). With --aws,
    /// the deployed table and the stack's KMS key (SEALING_KEY_ID).
    CheckSources {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        keys: KeyArgs,
    },
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Port of the API.
    #[arg(long, default_value_t = 3000)]
    pub port: u16,
    /// Port of the imgix dialect (docs/SPEC.md §24): imgix's Management API paths, with
    /// `Authorization: Bearer <key>`, for clients written for imgix.
    #[arg(long, default_value_t = 3001)]
    pub imgix_port: u16,
    /// Port of the embedded DynamoDB (for the AWS CLI, boto3, or `keys` while serving).
    #[arg(long, default_value_t = 8000)]
    pub dynamodb_port: u16,
    /// Where the embedded DynamoDB keeps its data and where the dev API key is written.
    #[arg(long, default_value = ".image-sources")]
    pub data_dir: PathBuf,
    /// Use this DynamoDB instead of the embedded one (DynamoDB Local, LocalStack, ...).
    #[arg(long, env = "DYNAMODB_ENDPOINT")]
    pub dynamodb_endpoint: Option<String>,
    /// The table's name.
    #[arg(long, env = "TABLE_NAME", default_value = "image-sources")]
    pub table: String,
    #[command(flatten)]
    pub keys: KeyArgs,
    /// Do not run the health sweep every minute (docs/SPEC.md §22): sources are then checked
    /// only by `verify` and `image-sources check-sources`.
    #[arg(long)]
    pub no_health_checks: bool,
    /// Where the CDN serves sources path-style, for each source's `urls.path`: a source is at
    /// `<this URL><source name>/` (docs/SPEC.md §25). Without it `urls.path` is null.
    #[arg(long, env = "CDN_BASE_URL")]
    pub cdn_base_url: Option<String>,
    /// The zone under which a source's subdomain `<label>` is served as `<label>.<zone>`, for
    /// `urls.subdomains`. Without it `urls.subdomains` is empty.
    #[arg(long, env = "CDN_SUBDOMAIN_ZONE")]
    pub cdn_subdomain_zone: Option<String>,
    /// The host name a custom domain's CNAME record points to, for `urls.cname_target`.
    #[arg(long, env = "CDN_CNAME_TARGET")]
    pub cdn_cname_target: Option<String>,
}

impl ServeArgs {
    /// The CDN settings the flags give, refused before anything starts when one is malformed.
    fn cdn(&self) -> Result<CdnSettings, String> {
        CdnSettings::new(
            self.cdn_base_url.as_deref(),
            self.cdn_subdomain_zone.as_deref(),
            self.cdn_cname_target.as_deref(),
        )
        .map_err(|e| format!("{e}; see image-sources serve --help"))
    }
}

/// Which DynamoDB an admin command talks to.
#[derive(Args, Debug)]
pub struct Target {
    /// A DynamoDB-compatible endpoint. Default: the running `serve`'s embedded DynamoDB on
    /// 127.0.0.1:8000, or, if none is running, its data dir opened in-process (never made: a
    /// command refuses where no `serve` has made one).
    #[arg(long, env = "DYNAMODB_ENDPOINT", conflicts_with = "aws")]
    pub dynamodb_endpoint: Option<String>,
    /// Use the standard AWS environment (region, credentials, `AWS_ENDPOINT_URL_DYNAMODB`): the
    /// deployed table.
    #[arg(long)]
    pub aws: bool,
    /// The embedded DynamoDB's port, when it is running.
    #[arg(long, default_value_t = 8000)]
    pub dynamodb_port: u16,
    /// The server's data directory: its database (when no `serve` runs) and its sealing key.
    #[arg(long, default_value = ".image-sources")]
    pub data_dir: PathBuf,
    #[arg(long, env = "TABLE_NAME", default_value = "image-sources")]
    pub table: String,
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Create a key for an account and print it (alone, on stdout). It is shown only this once.
    Create {
        #[arg(long)]
        account: String,
        /// What the key is for, shown by `keys list` and in the audit trail: 1 to 64 characters,
        /// no control characters. Without it the key has no label.
        #[arg(long, value_parser = parse_label)]
        label: Option<KeyLabel>,
        /// `read` keys may only read; `write` keys also write sources; `admin` keys also manage
        /// the account's keys through the API (docs/SPEC.md §26).
        #[arg(long, default_value = "admin", value_parser = parse_scope)]
        scope: KeyScope,
        /// The key stops working after this long: a whole number and a unit, `s`, `m`, `h` or `d`
        /// (`90d`, `12h`). Without it the key lasts until revoked.
        #[arg(long, value_parser = parse_lifetime)]
        expires_in: Option<i64>,
        #[command(flatten)]
        target: Target,
    },
    /// List an account's keys (by key id: the SHA-256 of the key), with scope and expiry.
    List {
        #[arg(long)]
        account: String,
        #[command(flatten)]
        target: Target,
    },
    /// Revoke one of an account's keys, by key id or a unique prefix of it (at least 8 characters).
    Revoke {
        #[arg(long)]
        account: String,
        #[arg(long)]
        key_id: String,
        #[command(flatten)]
        target: Target,
    },
}

fn parse_label(raw: &str) -> Result<KeyLabel, String> {
    KeyLabel::parse(raw).map_err(|problem| format!("{raw:?}: {problem}"))
}

fn parse_scope(raw: &str) -> Result<KeyScope, String> {
    KeyScope::parse(raw).ok_or_else(|| format!("{raw:?}: expected read, write or admin"))
}

/// What `keys create` made, in a sentence: never the key.
fn made_key_line(record: &ApiKeyRecord, place: &str) -> String {
    let label = match record.label.as_str() {
        "" => "without a label".to_owned(),
        label => format!("labelled {label:?}"),
    };
    let expiry = match record.valid_until {
        Some(until) => format!("that stops working at {until}"),
        None => "that works until revoked".to_owned(),
    };
    format!(
        "Made {} {} key {} for account {}, {label}, {expiry}, in {place}.",
        if record.scope == KeyScope::Admin {
            "an"
        } else {
            "a"
        },
        record.scope.as_str(),
        record.hash.key_id(),
        record.account_id
    )
}

/// `90d`, `12h`, `30m`, `3600s`: seconds, at least 1.
fn parse_lifetime(raw: &str) -> Result<i64, String> {
    let invalid = || format!("{raw:?}: expected a whole number and s, m, h or d (90d, 12h)");
    // By characters: the unit is the last character, whatever its width in bytes.
    let mut chars = raw.chars();
    let unit = chars.next_back().ok_or_else(invalid)?;
    let number = chars.as_str();
    let unit_seconds = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        _ => return Err(invalid()),
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let count: i64 = number.parse().map_err(|_| invalid())?;
    match count.checked_mul(unit_seconds) {
        Some(seconds) if seconds > 0 => Ok(seconds),
        _ => Err(invalid()),
    }
}

pub async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Init(target) => {
            let store = connect(&target).await?;
            let created = table::ensure_table(store.client(), store.table_name())
                .await
                .map_err(describe)?;
            println!(
                "table {} {}",
                store.table_name(),
                if created { "created" } else { "already exists" }
            );
            Ok(())
        }
        Command::Keys(command) => keys(command).await,
        Command::Sign {
            source,
            path,
            target,
        } => {
            let name = SourceName::parse(&source)
                .map_err(|_| format!("{source:?} is not a source name"))?;
            let store = connect_for_keys(&target).await?;
            let stored = match store.source_by_name(&name).await {
                Err(StoreError::NotFound) => return Err(format!("no source is called {source}")),
                other => other.map_err(describe)?,
            };
            let signature = stored.fields.delivery.url_signature;
            let under_source = path
                .strip_prefix('/')
                .and_then(|rest| rest.split_once('/'))
                .is_some_and(|(first, _)| first.eq_ignore_ascii_case(stored.fields.name.as_str()));
            let fits = match signature {
                UrlSignature::ImageBoss => under_source,
                UrlSignature::Imgix => path.starts_with('/'),
            };
            if !fits || path.contains(['?', '#']) {
                return Err(match signature {
                    UrlSignature::ImageBoss => format!(
                        "{path:?}: expected a URL path under /{}/, without a query",
                        stored.fields.name
                    ),
                    UrlSignature::Imgix => {
                        format!("{path:?}: expected a URL path starting with /, without a query")
                    }
                });
            }
            println!(
                "{}",
                signing::signed_path(&stored.secret_token, signature, &path)
            );
            Ok(())
        }
        Command::Openapi { imgix } => {
            print!(
                "{}",
                if imgix {
                    crate::openapi::imgix_document_text()
                } else {
                    crate::openapi::document_text()
                }
            );
            Ok(())
        }
        Command::CheckSources { target, keys } => {
            let store = connect_for_keys(&target).await?;
            let keys = admin_keys(&target, keys).await?;
            let state = AppState::new(store).with_keys(keys);
            let run_id = format!("check-sources-{}", uuid::Uuid::new_v4());
            let report = check_sources::sweep_with_progress(&state, Timestamp::now(), &run_id, &mut |r| {
                eprintln!(
                    "check-sources: {} due, {} checked ({} ok, {} failed, {} inconclusive), {} errors",
                    r.due,
                    r.checks(),
                    r.ok,
                    r.failed,
                    r.inconclusive,
                    r.errors
                );
            })
            .await
            .map_err(describe)?;
            println!("{}", summary_line(&report));
            if report.errors > 0 {
                return Err(format!("{} checks could not be made", report.errors));
            }
            Ok(())
        }
        Command::SealSecrets { target, keys } => {
            let store = connect_for_keys(&target).await?;
            let keys = admin_keys(&target, keys).await?;
            let summary = seal_secrets(&store, &keys, |s| {
                eprintln!(
                    "seal-secrets: {} sources read, {} sealed now, {} sealed by a concurrent write, {} scheduled for health checks",
                    s.sources, s.sealed, s.changed_meanwhile, s.scheduled
                );
            })
            .await?;
            println!(
                "sealed {} of {} sources ({} sealed by a concurrent write; the rest were sealed already); {} enabled sources scheduled for health checks",
                summary.sealed, summary.sources, summary.changed_meanwhile, summary.scheduled
            );
            Ok(())
        }
    }
}

/// The keys an admin command seals or opens with: with --aws the stack's KMS key, else what
/// `serve` uses (its key file, or the KMS-compatible server the options name).
async fn admin_keys(target: &Target, keys: KeyArgs) -> Result<shared::sealing::Keys, String> {
    if target.aws {
        Ok(shared::sealing::Keys::kms(
            shared::sealing::KmsKeys::from_env(ClientSettings::default())
                .await
                .ok_or("--aws needs SEALING_KEY_ID: the stack's key (its output SealingKeyId)")?,
        ))
    } else {
        keys.existing_keys(&target.data_dir).await
    }
}

/// A sweep's summary, as `check-sources` and `serve` print it.
pub fn summary_line(report: &check_sources::SweepReport) -> String {
    format!(
        "health sweep: {} checked ({} ok, {} failed, {} inconclusive) across {} accounts, {} health changes, {} skipped, {} errors, {} ms{}",
        report.checks(),
        report.ok,
        report.failed,
        report.inconclusive,
        report.accounts,
        report.changed,
        report.skipped,
        report.errors,
        report.duration_ms,
        if report.more_due {
            "; more are due (the next run takes them)"
        } else {
            ""
        }
    )
}

/// The store for a keys command; a local table is created if absent (the deployed one never is).
async fn connect_for_keys(target: &Target) -> Result<Store, String> {
    Ok(connect_for_keys_saying_where(target).await?.0)
}

/// [`connect_for_keys`], and where that is in words.
async fn connect_for_keys_saying_where(target: &Target) -> Result<(Store, String), String> {
    let (store, place) = connect_saying_where(target).await?;
    if !target.aws {
        table::ensure_table(store.client(), store.table_name())
            .await
            .map_err(describe)?;
    }
    Ok((store, place))
}

async fn keys(command: KeysCommand) -> Result<(), String> {
    match command {
        KeysCommand::Create {
            account,
            label,
            scope,
            expires_in,
            target,
        } => {
            let account = AccountId::parse(&account)?;
            let valid_until = expires_in
                .map(|seconds| {
                    Timestamp::now()
                        .plus_seconds(seconds)
                        .ok_or_else(|| format!("--expires-in {seconds}s ends after the year 9999"))
                })
                .transpose()?;
            let (store, place) = connect_for_keys_saying_where(&target).await?;
            let key = ApiKey::generate();
            let grant = KeyGrant {
                label: label.map(|l| l.as_str().to_owned()).unwrap_or_default(),
                scope,
                valid_until,
            };
            let record = store
                .create_api_key(&account, &key.hash(), &grant, &Actor::operator())
                .await
                .map_err(describe)?;
            // The key alone on stdout, for scripts; what was made on stderr, for the person.
            println!("{}", key.reveal());
            eprintln!("{}", made_key_line(&record, &place));
            Ok(())
        }
        KeysCommand::List { account, target } => {
            let account = AccountId::parse(&account)?;
            let (store, place) = connect_for_keys_saying_where(&target).await?;
            eprintln!("Keys of account {account} in {place}:");
            println!(
                "{:<64}  {:<20}  {:<7}  {:<5}  {:<20}  {:<10}  label",
                "key id", "created", "status", "scope", "expires", "last used"
            );
            let now = Timestamp::now();
            for key in store.list_api_keys(&account).await.map_err(describe)? {
                let status = if key.revoked {
                    "revoked"
                } else if !key.works_at(now) {
                    "expired"
                } else {
                    "active"
                };
                let expires = key
                    .valid_until
                    .map_or_else(|| "never".to_owned(), |t| t.to_string());
                println!(
                    "{:<64}  {:<20}  {:<7}  {:<5}  {:<20}  {:<10}  {}",
                    key.hash.as_str(),
                    key.created_at,
                    status,
                    key.scope.as_str(),
                    expires,
                    key.last_used_on.as_deref().unwrap_or("never"),
                    key.label
                );
            }
            Ok(())
        }
        KeysCommand::Revoke {
            account,
            key_id,
            target,
        } => {
            let account = AccountId::parse(&account)?;
            if key_id.len() < 8 {
                return Err("--key-id needs at least 8 characters of the key id".to_owned());
            }
            let store = connect_for_keys(&target).await?;
            let keys = store.list_api_keys(&account).await.map_err(describe)?;
            let matching: Vec<_> = keys
                .iter()
                .filter(|k| k.hash.as_str().starts_with(&key_id))
                .collect();
            let key = match matching.as_slice() {
                [key] => key,
                [] => {
                    return Err(format!(
                        "no key of account {account} has an id starting with {key_id}"
                    ));
                }
                _ => {
                    return Err(format!(
                        "{} of account {account}'s keys match {key_id}; give a longer key id",
                        matching.len()
                    ));
                }
            };
            // The operator may revoke an account's last admin key: `keys create` makes another.
            store
                .revoke_api_key(
                    &account,
                    KeyTarget::Hash(&key.hash),
                    LastAdmin::MayRevoke,
                    &Actor::operator(),
                )
                .await
                .map_err(describe)?;
            println!("revoked {}", key.hash.as_str());
            Ok(())
        }
    }
}

/// The store an admin command works on.
async fn connect(target: &Target) -> Result<Store, String> {
    Ok(connect_saying_where(target).await?.0)
}

/// [`connect`], and where that is in words, for a command that says what it read or wrote.
async fn connect_saying_where(target: &Target) -> Result<(Store, String), String> {
    let (client, place) = if target.aws {
        let place = "the AWS environment's DynamoDB".to_owned();
        (client_from_env(ClientSettings::default()).await, place)
    } else {
        let (endpoint, place) = match &target.dynamodb_endpoint {
            Some(endpoint) => (endpoint.clone(), format!("DynamoDB at {endpoint}")),
            None => local_endpoint(target).await?,
        };
        (local_client(&endpoint, ClientSettings::default()), place)
    };
    let place = format!("table {} of {place}", target.table);
    Ok((Store::new(client, target.table.clone()), place))
}

/// The running `serve`'s embedded DynamoDB if one answers, else its data dir opened here: never
/// made here, since an empty one would answer every question with nothing.
async fn local_endpoint(target: &Target) -> Result<(String, String), String> {
    let running = SocketAddr::from((Ipv4Addr::LOCALHOST, target.dynamodb_port));
    let probe = tokio::time::timeout(
        Duration::from_millis(300),
        tokio::net::TcpStream::connect(running),
    )
    .await;
    if matches!(probe, Ok(Ok(_))) {
        let endpoint = format!("http://{running}");
        let place = format!("the running serve's embedded DynamoDB at {endpoint}");
        return Ok((endpoint, place));
    }
    let db = embedded::open_existing(&target.data_dir)?;
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1: {e}"))?;
    let place = format!(
        "the embedded DynamoDB of data directory {}",
        std::path::absolute(&target.data_dir)
            .unwrap_or_else(|_| target.data_dir.clone())
            .display()
    );
    Ok((embedded::spawn(listener, db)?, place))
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let cdn = args.cdn()?;
    let endpoint = match &args.dynamodb_endpoint {
        Some(endpoint) => endpoint.clone(),
        None => {
            let db = embedded::open_persistent(&args.data_dir)?;
            let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, args.dynamodb_port))
                .await
                .map_err(|e| {
                    format!(
                        "cannot listen on 127.0.0.1:{} for DynamoDB: {e}",
                        args.dynamodb_port
                    )
                })?;
            embedded::spawn(listener, db)?
        }
    };
    let store = Store::new(
        local_client(&endpoint, ClientSettings::default()),
        args.table.clone(),
    );
    table::ensure_table(store.client(), store.table_name())
        .await
        .map_err(describe)?;
    let key = ensure_dev_key(&store, &args.data_dir).await?;
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, args.port))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", args.port))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    let imgix_listener = TcpListener::bind((Ipv4Addr::LOCALHOST, args.imgix_port))
        .await
        .map_err(|e| {
            format!(
                "cannot listen on 127.0.0.1:{} for the imgix dialect: {e}",
                args.imgix_port
            )
        })?;
    let imgix_address = imgix_listener.local_addr().map_err(|e| e.to_string())?;

    println!("Image Sources API on http://{address}/v1/sources (and /api/v1/sources)");
    println!(
        "imgix dialect on http://{imgix_address}/api/v1/sources (Authorization: Bearer <key>; --imgix-port)"
    );
    println!("Console on http://{address}/console/ (sign in with the key below)");
    println!(
        "DynamoDB ({}) on {endpoint}, table {}",
        if args.dynamodb_endpoint.is_some() {
            "external"
        } else {
            "embedded"
        },
        args.table
    );
    println!(
        "API key of account dev (also in {}):",
        args.data_dir.join(DEV_KEY_FILE).display()
    );
    println!("  {}", key.reveal());
    println!("Try:");
    println!(
        "  curl -s http://{address}/v1/sources -H \"imageboss-api-key: $(cat {})\"",
        args.data_dir.join(DEV_KEY_FILE).display()
    );

    let keys = args.keys.keys(&args.data_dir).await?;
    match &args.keys.kms_endpoint {
        Some(endpoint) => {
            println!("Storage secrets sealed with the KMS-compatible server on {endpoint}")
        }
        None => println!(
            "Storage secrets sealed with the key in {}",
            args.data_dir
                .join(shared::sealing::LOCAL_KEY_FILE)
                .display()
        ),
    }
    print_cdn(&cdn);
    let state = AppState::new(store).with_keys(keys).with_cdn(cdn);
    if args.no_health_checks {
        println!("Health checks off (--no-health-checks)");
    } else {
        println!(
            "Health checks every minute (as the check-sources function; --no-health-checks turns them off)"
        );
        tokio::spawn(sweep_every_minute(state.clone()));
    }
    // One Ctrl-C or SIGTERM stops both gateways.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    });
    let until_stopped = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    };
    let (native, imgix) = tokio::join!(
        gateway::serve(
            listener,
            state.clone(),
            Dialect::Native,
            until_stopped(stopped.clone())
        ),
        gateway::serve(
            imgix_listener,
            state,
            Dialect::Imgix,
            until_stopped(stopped)
        ),
    );
    native.and(imgix).map_err(|e| format!("server failed: {e}"))
}

/// Where sources' `urls` point (docs/SPEC.md §25), or that they point nowhere.
fn print_cdn(cdn: &CdnSettings) {
    match (cdn.base_url(), cdn.subdomain_zone(), cdn.cname_target()) {
        (None, None, None) => println!(
            "Sources' urls show custom domains only (--cdn-base-url, --cdn-subdomain-zone and \
             --cdn-cname-target say where a CDN serves them)"
        ),
        (base, zone, target) => {
            if let Some(base) = base {
                println!("Sources' urls: path-style under {base}<source name>/");
            }
            if let Some(zone) = zone {
                println!("Sources' urls: subdomains as https://<label>.{zone}/");
            }
            if let Some(target) = target {
                println!("Sources' urls: custom domains point (CNAME) to {target}");
            }
        }
    }
}

/// `serve`'s sweep (docs/SPEC.md §22): one run a minute, as the schedule invokes the function;
/// a line for each run that checked something or failed.
async fn sweep_every_minute(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let run_id = format!("serve-sweep-{}", uuid::Uuid::new_v4());
        match check_sources::sweep(&state, Timestamp::now(), &run_id).await {
            Ok(report) if report.checks() + report.errors > 0 => {
                println!("{}", summary_line(&report))
            }
            Ok(_) => {}
            Err(err) => eprintln!("health sweep: {}", describe(err)),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lifetime_is_a_number_and_a_unit() {
        assert_eq!(parse_lifetime("90d"), Ok(90 * 86_400));
        assert_eq!(parse_lifetime("12h"), Ok(12 * 3_600));
        assert_eq!(parse_lifetime("30m"), Ok(1_800));
        assert_eq!(parse_lifetime("1s"), Ok(1));
        for bad in [
            "",
            "d",
            "0d",
            "-1d",
            "1.5h",
            "12",
            "12w",
            "1 d",
            "99999999999999999999d",
            "1é",
            "é",
            "1dé",
            "é1d",
            "１d",
        ] {
            assert!(parse_lifetime(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_scope_is_read_or_write() {
        assert_eq!(parse_scope("read"), Ok(KeyScope::Read));
        assert_eq!(parse_scope("write"), Ok(KeyScope::Write));
        assert_eq!(parse_scope("admin"), Ok(KeyScope::Admin));
        assert!(parse_scope("owner").is_err());
    }

    proptest::proptest! {
        /// No text makes a parser panic: each answers a value or an error that quotes the input.
        #[test]
        fn the_parsers_take_any_text(raw in "\\PC*") {
            let quoted = format!("{raw:?}");
            match parse_lifetime(&raw) {
                Ok(seconds) => proptest::prop_assert!(seconds > 0),
                Err(message) => proptest::prop_assert!(message.contains(&quoted)),
            }
            if let Err(message) = parse_scope(&raw) {
                proptest::prop_assert!(message.contains(&quoted));
            }
            if let Err(message) = parse_label(&raw) {
                proptest::prop_assert!(message.contains(&quoted));
            }
        }

        /// A number and a unit, however written, is that many seconds.
        #[test]
        fn a_well_formed_lifetime_is_its_seconds(count in 1i64..1_000_000, unit in "[smhd]") {
            let per_unit = match unit.as_str() { "s" => 1, "m" => 60, "h" => 3_600, _ => 86_400 };
            proptest::prop_assert_eq!(parse_lifetime(&format!("{count}{unit}")), Ok(count * per_unit));
        }

        /// The whole command line, as clap hands each argument to its parser: never a panic.
        #[test]
        fn any_arguments_are_parsed_or_refused(
            account in "\\PC*", lifetime in "\\PC*", scope in "\\PC*", source in "\\PC*", path in "\\PC*",
        ) {
            let keys = [
                "image-sources", "keys", "create", "--account", &account, "--expires-in", &lifetime,
                "--scope", &scope,
            ];
            let _ = Cli::try_parse_from(keys);
            let _ = Cli::try_parse_from(["image-sources", "sign", "--source", &source, &path]);
            let _ = Cli::try_parse_from(["image-sources", "serve", "--port", &lifetime]);
        }
    }
}
