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
