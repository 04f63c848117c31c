//! The results, the targets they are judged by, and their JSON and markdown forms.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use crate::artifacts::HELLO_WORLD;
use crate::cost::{CapacityResult, CostRow, Prices};
use crate::gateway::{LatencyResult, ScaleResult};
use crate::lambda::{ColdStartResult, WarmResult};
use crate::machine::Machine;
use crate::paging::PagingResult;

/// Sizes are in MB of 10^6 bytes, as the targets are.
pub const MB: f64 = 1_000_000.0;

pub const INIT_VS_HELLO_MAX: f64 = 1.5;
pub const PYTHON_SPEEDUP_MIN: f64 = 10.0;
pub const PEAK_RSS_MAX_MB: f64 = 20.0;
pub const ZIP_MAX_MB: f64 = 6.0;
pub const SCALE_RATIO_MAX: f64 = 1.2;

/// DynamoDB requests per call, without contention: docs/SPEC.md §9 ("Round trips").
pub fn round_trip_budget(function: &str) -> Option<usize> {
    match function {
        "get-source" | "list-sources" | "create-source" | "list-events" | "authorizer"
        | "list-api-keys" => Some(1),
        "update-source" | "delete-source" | "rotate-secret-token" => Some(2),
        // The same calls through the imgix dialect (docs/SPEC.md §24): its list reads the whole
        // account, one Query per 100 sources (the bench's account has fewer).
        "get-source (imgix)" | "list-sources (imgix)" | "create-source (imgix)" => Some(1),
        "update-source (imgix)" => Some(2),
        // The account's keys (one Query), then one transaction (docs/SPEC.md §26).
        "create-api-key" | "revoke-api-key" => Some(2),
        // The source, the account's rate counter, then the source's health (docs/SPEC.md §22: the
        // check's result is recorded); the storage's own calls are not DynamoDB's (the object
        // check's neither).
        "verify-source" | crate::workload::OBJECT_CHECK_SUBJECT => Some(3),
        // Answered from the authorizer's context, and from files compiled in (§19, §20).
        "get-api-key" | "console" => Some(0),
        _ => None,
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Settings {
    pub cold_start_runs: usize,
    pub warm_invocations: usize,
    pub latency_requests: usize,
    pub concurrency_levels: Vec<usize>,
    pub scale_requests: usize,
    pub foreign_items: usize,
    /// Sources of the large account in the listing figures.
    pub paging_sources: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct Size {
    pub function: String,
    pub bootstrap_bytes: u64,
    pub zip_bytes: Option<u64>,
    /// Whether the binary holds the verify check (`artifacts::links_verify_check`).
    #[serde(default)]
    pub links_verify_check: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Target {
    pub name: String,
    /// `None` when it could not be measured in this run.
    pub holds: Option<bool>,
    pub detail: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Results {
    pub machine: Machine,
    pub settings: Settings,
    pub cold_starts: Vec<ColdStartResult>,
    /// Extra subjects given with `--compare` (builds of other commits), not judged.
    pub compared: Vec<ColdStartResult>,
    pub warm: Vec<WarmResult>,
    pub sizes: Vec<Size>,
    pub latency: Vec<LatencyResult>,
    /// On the bench's own server, then on each `--scale-endpoint`.
    pub scale: Vec<ScaleResult>,
    /// Listing's account-size axis, on the same servers as `scale`.
    pub listing: Vec<PagingResult>,
    /// DynamoDB capacity per call of each function, and the server that reported it.
    pub capacity: Vec<CapacityResult>,
    pub capacity_on: Option<String>,
    pub prices: Prices,
    /// Price per million calls.
    pub costs: Vec<CostRow>,
    /// The health sweep (docs/SPEC.md §22) and the bill of checking 10,000 sources a day.
    pub sweep: Option<crate::sweep::SweepResult>,
    pub daily_checks: Option<crate::sweep::DailyCost>,
    /// Why a part was not measured (no Python, no cargo-lambda).
    pub notes: Vec<String>,
    pub targets: Vec<Target>,
}

fn target(name: String, holds: Option<bool>, detail: String) -> Target {
    Target {
        name,
        holds,
        detail,
    }
}

impl Results {
    fn cold(&self, subject: &str) -> Option<&ColdStartResult> {
        self.cold_starts.iter().find(|c| c.subject == subject)
    }

    /// Judges every target; call once all the parts are in.
    pub fn judge(&mut self, functions: &[&str], python: &str) {
        let mut targets = Vec::new();
        let hello = self.cold(HELLO_WORLD).map(|c| c.init.p50_ms);
        let py = self.cold(python).map(|c| c.init.p50_ms);
        for function in functions {
            let init = self.cold(function).map(|c| c.init.p50_ms);
            let (holds, detail) = match (init, hello) {
                (Some(init), Some(hello)) => (
                    Some(init <= INIT_VS_HELLO_MAX * hello),
                    format!(
                        "init p50 {init:.2} ms = {:.2} x hello-world ({hello:.2} ms)",
                        init / hello
                    ),
                ),
                _ => (None, "not measured".into()),
            };
            targets.push(target(
                format!("{function}: init <= {INIT_VS_HELLO_MAX} x hello-world"),
                holds,
                detail,
            ));
            let (holds, detail) = match (init, py) {
                (Some(init), Some(py)) => (
                    Some(py >= PYTHON_SPEEDUP_MIN * init),
                    format!("Python init p50 {py:.1} ms = {:.0} x this", py / init),
                ),
                _ => (None, "Python reference not measured".into()),
            };
            targets.push(target(
                format!("{function}: init >= {PYTHON_SPEEDUP_MIN} x faster than Python"),
                holds,
                detail,
            ));
        }
        for warm in self
            .warm
            .iter()
            .filter(|w| functions.contains(&w.subject.as_str()))
        {
            let rss_mb = warm.peak_rss_mib.map(|mib| mib * 1024.0 * 1024.0 / MB);
            targets.push(target(
                format!("{}: peak RSS <= {PEAK_RSS_MAX_MB} MB", warm.subject),
                rss_mb.map(|mb| mb <= PEAK_RSS_MAX_MB),
                rss_mb.map_or("not measured".into(), |mb| {
                    format!("{mb:.1} MB after {} invocations", warm.invocations)
                }),
            ));
            let budget = round_trip_budget(&warm.subject);
            targets.push(target(
                format!("{}: DynamoDB round trips = SPEC budget", warm.subject),
                budget.map(|b| warm.dynamodb_requests_per_call == b as f64),
                format!(
                    "{:.2} per call (budget {}): {}",
                    warm.dynamodb_requests_per_call,
                    budget.map_or("?".into(), |b| b.to_string()),
                    operations(&warm.dynamodb_requests)
                ),
            ));
        }
        let scans: usize = self
            .warm
            .iter()
            .filter_map(|w| w.dynamodb_requests.get("Scan"))
            .sum();
        targets.push(target(
            "no Scan anywhere".into(),
            Some(scans == 0),
            format!("{scans} Scan requests over all warm invocations"),
        ));
        for size in self
            .sizes
            .iter()
            .filter(|s| functions.contains(&s.function.as_str()))
        {
            targets.push(target(
                format!("{}: arm64 zip <= {ZIP_MAX_MB} MB", size.function),
                size.zip_bytes.map(|z| z as f64 <= ZIP_MAX_MB * MB),
                size.zip_bytes
                    .map_or("not built (no cargo-lambda)".into(), |z| {
                        format!("{:.2} MB", z as f64 / MB)
                    }),
            ));
        }
        let size_of = |function: &str| self.sizes.iter().find(|s| s.function == function);
        if let (Some(get), Some(verify)) = (size_of("get-source"), size_of("verify-source")) {
            targets.push(target(
                "get-source links no verify check and is smaller than verify-source".into(),
                Some(!get.links_verify_check && get.bootstrap_bytes < verify.bootstrap_bytes),
                format!(
                    "get-source {:.2} MB (verify check: {}), verify-source {:.2} MB: {} bytes less",
                    get.bootstrap_bytes as f64 / MB,
                    if get.links_verify_check {
                        "linked"
                    } else {
                        "not linked"
                    },
                    verify.bootstrap_bytes as f64 / MB,
                    verify.bootstrap_bytes as i64 - get.bootstrap_bytes as i64
                ),
            ));
        }
        for scale in &self.scale {
            for (what, ratio, empty, loaded) in [
                (
                    "GET",
                    scale.get_p50_ratio,
                    scale.empty.get.p50_ms,
                    scale.loaded.get.p50_ms,
                ),
                (
                    "LIST",
                    scale.list_p50_ratio,
                    scale.empty.list.p50_ms,
                    scale.loaded.list.p50_ms,
                ),
            ] {
                targets.push(target(
                    format!(
                        "{what} p50 with {} foreign items <= {SCALE_RATIO_MAX} x empty ({})",
                        scale.loaded.foreign_items, scale.server
                    ),
                    Some(ratio <= SCALE_RATIO_MAX),
                    format!("{loaded:.3} ms vs {empty:.3} ms = {ratio:.2} x"),
                ));
            }
        }
        for listing in &self.listing {
            for order in &listing.orders {
                targets.push(target(
                    format!(
                        "LIST page of {} by {} in an account of {} <= {SCALE_RATIO_MAX} x one of {} ({})",
                        listing.page,
                        order.sort,
                        listing.large_sources,
                        listing.small_sources,
                        listing.server
                    ),
                    Some(order.ratio <= SCALE_RATIO_MAX),
                    format!(
                        "{:.3} ms vs {:.3} ms = {:.2} x",
                        order.large.p50_ms, order.small.p50_ms, order.ratio
                    ),
                ));
            }
            targets.push(target(
                format!(
                    "largest LIST page payload < Lambda's {} bytes ({})",
                    listing.lambda_limit_bytes, listing.server
                ),
                Some(listing.largest_page_payload_bytes < listing.lambda_limit_bytes),
                format!(
                    "{:.2} MB",
                    listing.largest_page_payload_bytes as f64 / (1024.0 * 1024.0)
                ),
            ));
        }
        self.targets = targets;
    }

    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let m = &self.machine;
        let _ = writeln!(
            md,
            "Taken {} at `{}` on {} ({} cores, {} GiB), {}, Linux {}, {}, {}.\n",
            m.taken_at, m.commit, m.cpu, m.cores, m.memory_gib, m.os, m.kernel, m.rustc, m.python
        );
        let s = &self.settings;
        let _ = writeln!(
            md,
            "Settings: {} cold starts per subject, {} warm invocations, {} requests per endpoint \
             and concurrency level {:?}, {} requests per scale point, {} foreign items.\n",
            s.cold_start_runs,
            s.warm_invocations,
            s.latency_requests,
            s.concurrency_levels,
            s.scale_requests,
            s.foreign_items
        );
        for note in &self.notes {
            let _ = writeln!(md, "> Note: {note}\n");
        }

        md.push_str("### Targets\n\n| target | holds | measured |\n| --- | --- | --- |\n");
        for t in &self.targets {
            let holds = match t.holds {
                Some(true) => "yes",
                Some(false) => "**NO**",
                None => "not measured",
            };
            let _ = writeln!(md, "| {} | {holds} | {} |", t.name, t.detail);
        }

        let hello = self.cold(HELLO_WORLD);
        md.push_str(
            "\n### Cold start (exec to first `next` poll = init; to first answer = init + first \
             request)\n\n| subject | init p50 | init p90 | first answer p50 | first answer p90 \
             | init / hello-world | Python init / init |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
        );
        let python = self
            .cold_starts
            .iter()
            .find(|c| c.subject.starts_with("python"));
        for c in self.cold_starts.iter().chain(&self.compared) {
            let vs_hello = hello.map_or("-".into(), |h| {
                format!("{:.2}", c.init.p50_ms / h.init.p50_ms)
            });
            let py = python.map_or("-".into(), |p| {
                format!("{:.0}", p.init.p50_ms / c.init.p50_ms)
            });
            let _ = writeln!(
                md,
                "| {} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {vs_hello} | {py} |",
                c.subject,
                c.init.p50_ms,
                c.init.p90_ms,
                c.first_response.p50_ms,
                c.first_response.p90_ms
            );
        }

        md.push_str(
            "\n### Warm invocations through the Runtime API\n\n| function | invocations | peak RSS \
             | DynamoDB requests per call | by operation | answer p50 | answer p99 |\n| --- | ---: \
             | ---: | ---: | --- | ---: | ---: |\n",
        );
        for w in &self.warm {
            let rss = w.peak_rss_mib.map_or("-".into(), |mib| {
                format!("{:.1} MB", mib * 1024.0 * 1024.0 / MB)
            });
            let _ = writeln!(
                md,
                "| {} | {} | {rss} | {:.2} | {} | {:.2} ms | {:.2} ms |",
                w.subject,
                w.invocations,
                w.dynamodb_requests_per_call,
                operations(&w.dynamodb_requests),
                w.warm.p50_ms,
                w.warm.p99_ms
            );
        }

        md.push_str(
            "\n### Size\n\n| function | stripped `bootstrap` (this machine) | arm64 `bootstrap.zip` \
             | links the verify check |\n| --- | ---: | ---: | --- |\n",
        );
        for size in &self.sizes {
            let zip = size
                .zip_bytes
                .map_or("-".into(), |z| format!("{:.2} MB", z as f64 / MB));
            let _ = writeln!(
                md,
                "| {} | {:.2} MB | {zip} | {} |",
                size.function,
                size.bootstrap_bytes as f64 / MB,
                if size.links_verify_check { "yes" } else { "no" }
            );
        }

        md.push_str(
            "\n### Warm latency through the local gateway (authorizer + endpoint)\n\n| endpoint | \
             concurrency | p50 | p99 | requests/s |\n| --- | ---: | ---: | ---: | ---: |\n",
        );
        for l in &self.latency {
            let _ = writeln!(
                md,
                "| `{}` | {} | {:.2} ms | {:.2} ms | {:.0} |",
                l.endpoint,
                l.concurrency,
                l.latency.p50_ms,
                l.latency.p99_ms,
                l.requests_per_second
            );
        }

        for sc in &self.scale {
            let _ = write!(
                md,
                "\n### Scale on {} (one account with {} sources, through the local gateway)\n\n\
                 | foreign items | GET p50 | GET p99 | LIST p50 | LIST p99 |\n| ---: | ---: | ---: \
                 | ---: | ---: |\n",
                sc.server, sc.account_sources
            );
            for p in [&sc.empty, &sc.loaded] {
                let _ = writeln!(
                    md,
                    "| {} | {:.3} ms | {:.3} ms | {:.3} ms | {:.3} ms |",
                    p.foreign_items, p.get.p50_ms, p.get.p99_ms, p.list.p50_ms, p.list.p99_ms
                );
            }
            let _ = writeln!(
                md,
                "\nRatios loaded/empty: GET {:.2}, LIST {:.2} (control, both tables empty: GET {:.2}, \
                 LIST {:.2}); loading the foreign items took {:.1} s.",
                sc.get_p50_ratio,
                sc.list_p50_ratio,
                sc.control_get_p50_ratio,
                sc.control_list_p50_ratio,
                sc.load_seconds
            );
        }
        for listing in &self.listing {
            let _ = write!(
                md,
                "\n### Listing by account size on {} (a page of {}, through the local gateway)\n\n\
                 The small account holds {} sources (one page); requests to the large one ({} \
                 sources) rotate through all {} pages of its walk, not just the first.\n\n\
                 | sort | account of {} p50 | p99 | account of {} p50 | p99 | ratio |\n\
                 | --- | ---: | ---: | ---: | ---: | ---: |\n",
                listing.server,
                listing.page,
                listing.small_sources,
                listing.large_sources,
                listing.large_pages,
                listing.small_sources,
                listing.large_sources,
            );
            for o in &listing.orders {
                let _ = writeln!(
                    md,
                    "| `{}` | {:.3} ms | {:.3} ms | {:.3} ms | {:.3} ms | {:.2} |",
                    o.sort, o.small.p50_ms, o.small.p99_ms, o.large.p50_ms, o.large.p99_ms, o.ratio
                );
            }
            let _ = writeln!(
                md,
                "\nThe largest page payload (the body as Lambda carries it, a JSON string) with the \
                 largest sources the rules allow, 1,024 `\"` in two values each: {} bytes, against \
                 Lambda's limit of {} bytes. Loading the accounts took {:.1} s.",
                listing.largest_page_payload_bytes,
                listing.lambda_limit_bytes,
                listing.load_seconds
            );
        }
        if !self.costs.is_empty() {
            md.push_str(&self.cost_markdown());
        }
        md.push_str(&self.sweep_markdown());
        md
    }

    /// The health sweep (docs/SPEC.md §22): throughput, the worst case against the timeout, and
    /// the daily bill of 10,000 sources.
    pub fn sweep_markdown(&self) -> String {
        let mut md = String::new();
        let Some(sweep) = &self.sweep else {
            return md;
        };
        let _ = write!(
            md,
            "\n### The health sweep (docs/SPEC.md §22, in process on the embedded DynamoDB)\n\n\
             | run | checks | duration | checks per minute | against the {} s timeout |\n\
             | --- | ---: | ---: | ---: | ---: |\n\
             | nothing due (16 shard Queries) | 0 | {} ms | | |\n\
             | a batch at s3s-fs on loopback (SigV4 checked), {} at a time | {} | {} ms | {:.0} | {:.1} % |\n\
             | a batch at a storage that never answers (every check to its 5 s deadline) | {} | {} ms | | {:.1} % |\n",
            sweep.timeout_ms / 1000,
            sweep.idle_run_ms,
            sweep.concurrency,
            sweep.full_run_checks,
            sweep.full_run_ms,
            sweep.checks_per_minute,
            100.0 * sweep.full_run_ms as f64 / sweep.timeout_ms as f64,
            sweep.worst_run_checks,
            sweep.worst_run_ms,
            100.0 * sweep.worst_run_ms as f64 / sweep.timeout_ms as f64,
        );
        let check_rows: Vec<_> = self
            .capacity
            .iter()
            .filter(|c| c.function == shared::catalog::CHECK_SOURCES.name)
            .collect();
        if !check_rows.is_empty() {
            md.push_str("\n| health check call | read units | write units | KMS requests |\n| --- | ---: | ---: | ---: |\n");
            for c in check_rows {
                let _ = writeln!(
                    md,
                    "| {} | {:.1} | {:.1} | {:.1} |",
                    c.call, c.read_units_per_call, c.write_units_per_call, c.kms_requests_per_call
                );
            }
        }
        if let Some(cost) = &self.daily_checks {
            let _ = write!(
                md,
                "\nChecking {} sources once a day ({} runs, each source found as it was): Lambda \
                 ${:.4}, DynamoDB ${:.4}, KMS ${:.4}: **${:.4} a day, ${:.2} a month** (30 days), \
                 at the prices above and 256 MB.\n",
                cost.sources,
                cost.runs,
                cost.lambda_usd,
                cost.dynamodb_usd,
                cost.kms_usd,
                cost.total_usd_per_day,
                cost.total_usd_per_month
            );
        }
        md
    }

    /// "What it costs": capacity per call and the price per million calls.
    pub fn cost_markdown(&self) -> String {
        let p = &self.prices;
        let mut md = String::new();
        let _ = write!(
            md,
            "\n### What it costs (per million calls, AWS list prices of {} in {})\n\n\
             DynamoDB capacity per call as {} reports it (`ReturnConsumedCapacity`), a typical call \
             each; Lambda arm64 at {} MB for the warm duration measured above (p50, rounded up to \
             the millisecond as Lambda bills it) at ${}/GB-s plus ${} per million requests; API \
             Gateway REST at ${} per million; DynamoDB on-demand at ${} per million read and \
             ${} per million write request units; KMS at ${} per 10,000 requests, counted per \
             call by the keys the functions seal and open with (docs/SPEC.md §21: a write that \
             sets a secret makes one, a check that opens one makes one). Not included: the \
             authorizer (API Gateway caches its answer 60 s per key, so it runs once per key per \
             minute: its own row), CloudWatch Logs ingestion, X-Ray, the table key's KMS \
             requests (DynamoDB caches it), create-source's one GenerateMac per execution \
             environment, data transfer, free tiers.\n\n\
             | function | call | read units | write units | KMS requests | billed ms | Lambda | API Gateway | DynamoDB | KMS | total |\n\
             | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
            p.as_of,
            p.region,
            self.capacity_on.as_deref().unwrap_or("the server"),
            p.memory_mb,
            p.lambda_arm64_usd_per_gb_second,
            p.lambda_usd_per_million_requests,
            p.api_gateway_rest_usd_per_million,
            p.dynamodb_usd_per_million_read_units,
            p.dynamodb_usd_per_million_write_units,
            p.kms_usd_per_10k_requests,
        );
        for row in &self.costs {
            let call = &row.call;
            let _ = writeln!(
                md,
                "| {} | {call} | {:.1} | {:.1} | {:.1} | {:.0} | ${:.2} | ${:.2} | ${:.2} | ${:.2} | **${:.2}** |",
                row.function,
                row.read_units_per_call,
                row.write_units_per_call,
                row.kms_requests_per_call,
                row.billed_ms,
                row.lambda_usd,
                row.api_gateway_usd,
                row.dynamodb_usd,
                row.kms_usd,
                row.total_usd
            );
        }
        md.push_str("\n![Price per million calls](bench/cost.svg)\n");
        md
    }
}

fn operations(counts: &BTreeMap<String, usize>) -> String {
    if counts.is_empty() {
        return "none".into();
    }
    counts
        .iter()
        .map(|(op, n)| format!("{op} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Replaces what lies between the bench markers of `doc` with `generated`.
pub fn splice(doc: &str, generated: &str) -> Option<String> {
    const BEGIN: &str = "<!-- bench:begin -->";
    const END: &str = "<!-- bench:end -->";
    let start = doc.find(BEGIN)? + BEGIN.len();
    let end = doc[start..].find(END)? + start;
    Some(format!("{}\n\n{generated}\n{}", &doc[..start], &doc[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splice_replaces_only_between_the_markers() {
        let doc = "intro\n<!-- bench:begin -->\nold\n<!-- bench:end -->\nafter\n";
        let done = splice(doc, "new").unwrap();
        assert_eq!(
            done,
            "intro\n<!-- bench:begin -->\n\nnew\n<!-- bench:end -->\nafter\n"
        );
        assert_eq!(splice("no markers", "new"), None);
    }

    #[test]
    fn budgets_follow_the_spec() {
        assert_eq!(round_trip_budget("get-source"), Some(1));
        assert_eq!(round_trip_budget("update-source"), Some(2));
        assert_eq!(round_trip_budget("delete-source"), Some(2));
        assert_eq!(round_trip_budget("hello-world"), None);
    }
}
