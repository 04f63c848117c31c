//! The contract in the repository: `docs/SPEC.md` is a copy of the reference `../shared/SPEC.md`
//! kept in step, and every section the code cites exists in it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate is inside the workspace")
        .to_path_buf()
}

fn repository_spec() -> String {
    std::fs::read_to_string(workspace().join("docs/SPEC.md")).expect("docs/SPEC.md")
}

/// Where the reference material lies beside a clone (the developers' and CI's machines); a clone
/// elsewhere has only its own copy.
#[test]
fn the_spec_copy_is_in_step_with_the_reference() {
    let reference = workspace().join("../shared/SPEC.md");
    let Ok(reference) = std::fs::read_to_string(&reference) else {
        eprintln!("no ../shared/SPEC.md beside this clone: nothing to compare docs/SPEC.md with");
        return;
    };
    assert!(
        reference == repository_spec(),
        "docs/SPEC.md differs from ../shared/SPEC.md: copy the reference over it (cp ../shared/SPEC.md docs/SPEC.md)"
    );
}

/// The section numbers `## N. Title` of the spec.
fn sections(spec: &str) -> BTreeSet<u32> {
    spec.lines()
        .filter_map(|line| line.strip_prefix("## "))
        .filter_map(|rest| rest.split_once(". "))
        .filter_map(|(number, _)| number.parse().ok())
        .collect()
}

/// Every `.rs` file under `dir`, skipping build output.
fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() && name != "target" && name != ".git" {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn every_cited_section_exists() {
    let known = sections(&repository_spec());
    assert!(known.contains(&1) && known.contains(&23), "{known:?}");
    let mut files = Vec::new();
    for dir in ["shared", "functions", "local", "tests", "bench"] {
        sources(&workspace().join(dir), &mut files);
    }
    let mut cited = 0;
    // This file names the pattern itself.
    files.retain(|file| !file.ends_with("tests/tests/contract.rs"));
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (at, _) in text.match_indices("docs/SPEC.md §") {
            let rest = &text[at + "docs/SPEC.md §".len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let number: u32 = digits.parse().unwrap_or(0);
            assert!(
                known.contains(&number),
                "{} cites docs/SPEC.md §{digits}, which it does not have",
                file.display()
            );
            cited += 1;
        }
    }
    assert!(
        cited > 50,
        "only {cited} citations found: is the search right?"
    );
}

/// Each package of a `cargo tree` listing (name and version) with the features it is built with,
/// every copy's features together.
fn features_of(args: &[&str]) -> std::collections::BTreeMap<String, BTreeSet<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = std::process::Command::new(cargo)
        .current_dir(workspace())
        .args([
            "tree",
            "--locked",
            "--offline",
            "--prefix",
            "none",
            "-f",
            "{p} [{f}]",
        ])
        .args(args)
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut packages = std::collections::BTreeMap::<String, BTreeSet<String>>::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Some((package, features)) = line.split_once(" [") else {
            continue;
        };
        let key = package
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        let features = features.trim_end_matches(" (*)").trim_end_matches(']');
        packages.entry(key).or_default().extend(
            features
                .split(',')
                .filter(|f| !f.is_empty())
                .map(str::to_owned),
        );
    }
    packages
}

/// The README's second command reuses what its first compiled only if every crate the server
/// uses is built with the same features in both: a test-only crate that turns on one more
/// feature of, say, serde_json makes `cargo test --workspace` compile the SDK and a hundred
/// crates again (docs/FIRST_RUN.md). `local/Cargo.toml` names those features; this says when a
/// change of dependencies needs it to name another.
#[test]
fn the_first_command_builds_what_the_tests_reuse() {
    let serve = features_of(&["-p", "image-sources", "-e", "normal,build"]);
    let tests = features_of(&["--workspace", "-e", "normal,build,dev"]);
    let drift: Vec<String> = serve
        .iter()
        .filter_map(|(package, features)| {
            let more: Vec<&String> = tests.get(package)?.difference(features).collect();
            (!more.is_empty()).then(|| format!("{package}: {more:?}"))
        })
        .collect();
    assert!(
        drift.is_empty(),
        "the test build turns on features the server's build does not; add them to \
         local/Cargo.toml's feature alignment: {drift:#?}"
    );
}
