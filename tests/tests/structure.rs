//! The repository's shape: the plan of the code (docs/ARCHITECTURE.md) has no circle and no arrow
//! up, the README stays short and says what the code says (the functions, the outputs, the source
//! types), and every link between the documents resolves.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use shared::catalog::CATALOG;
use shared::domain::{SourceType, credential_keys};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate is inside the workspace")
        .to_path_buf()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The shared crate's top-level modules, lowest floor first: a module may import from the floors
/// below its own and from its own module's children, nothing else (docs/ARCHITECTURE.md).
const FLOORS: &[&[&str]] = &[
    &["domain"],
    &["sdk", "telemetry"],
    &["store", "verify"],
    &["sealing"],
    &["catalog"],
    &["routes"],
    &["config"],
    &["http"],
    &["functions", "function"],
];

fn floor_of(module: &str) -> usize {
    FLOORS
        .iter()
        .position(|floor| floor.contains(&module))
        .unwrap_or_else(|| panic!("the shared crate's module {module} has no floor in the plan"))
}

/// Every `crate::<module>` a file names outside comments and its tests.
fn imports(text: &str) -> BTreeSet<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    let mut found = BTreeSet::new();
    for line in code.lines() {
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        for (at, _) in line.match_indices("crate::") {
            let name: String = line[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn the_plan_of_the_code_has_no_circle_and_no_arrow_up() {
    let src = workspace().join("shared/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut arrows: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap();
        let module = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if module == "lib" {
            continue;
        }
        for imported in imports(&read(&file)) {
            // `crate::AppState` and the like are re-exports at the root: not a module.
            if imported == module
                || !src.join(&imported).exists() && !src.join(format!("{imported}.rs")).exists()
            {
                continue;
            }
            arrows.entry(module.clone()).or_default().insert(imported);
        }
    }
    let mut wrong = Vec::new();
    for (from, tos) in &arrows {
        for to in tos {
            if floor_of(to) >= floor_of(from) {
                wrong.push(format!("{from} -> {to}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports sideways or up the plan (docs/ARCHITECTURE.md): {wrong:?}"
    );
    // Every module has its floor, and every floor is used.
    let modules: BTreeSet<&str> = arrows.keys().map(String::as_str).collect();
    for module in &modules {
        floor_of(module);
    }
}

/// `imports` reads what it must: a name after `crate::`, not in a comment, not in the tests.
#[test]
fn the_import_reader_reads_code_only() {
    let text = "use crate::store::Store;\n// crate::http is only named here\nfn f() { crate::domain::x(); }\n#[cfg(test)]\nmod tests { use crate::functions; }";
    assert_eq!(
        imports(text),
        ["domain", "store"].map(str::to_owned).into_iter().collect()
    );
}

fn readme() -> String {
    read(&workspace().join("README.md"))
}

#[test]
fn the_readme_is_short() {
    let lines = readme().lines().count();
    assert!(
        lines <= 300,
        "README.md has {lines} lines: move the detail to docs/"
    );
}

/// The README counts the functions in words; the catalog counts its rows.
#[test]
fn the_readme_says_how_many_functions_there_are() {
    const NUMBERS: [&str; 21] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
    ];
    let readme = readme();
    let said = format!("the {} functions", NUMBERS[CATALOG.len()]);
    assert!(readme.contains(&said), "README.md must say \"{said}\"");
    for (n, word) in NUMBERS.iter().enumerate() {
        if n != CATALOG.len() {
            assert!(
                !readme.contains(&format!("the {word} functions")),
                "README.md says \"the {word} functions\"; there are {}",
                CATALOG.len()
            );
        }
    }
}

/// Every output of the template is in the README's table of outputs, and nothing else is.
#[test]
fn the_readme_lists_every_output_of_the_template() {
    let template = read(&workspace().join("template.yaml"));
    let outputs: BTreeSet<String> = template
        .split("\nOutputs:\n")
        .nth(1)
        .expect("template.yaml has Outputs")
        .lines()
        .take_while(|line| line.is_empty() || line.starts_with(' '))
        .filter(|line| line.starts_with("  ") && !line.starts_with("   ") && line.ends_with(':'))
        .map(|line| line.trim().trim_end_matches(':').to_owned())
        .collect();
    assert!(outputs.len() >= 7, "{outputs:?}");
    let readme = readme();
    let table = readme
        .split("| Output | What it is |")
        .nth(1)
        .expect("README.md has a table of the stack's outputs");
    let listed: BTreeSet<String> = table
        .lines()
        .skip(1)
        .take_while(|line| line.starts_with('|'))
        .filter_map(|line| line.split('`').nth(1).map(str::to_owned))
        .collect();
    assert_eq!(listed, outputs);
}

/// The README's table of source types holds each type's credential keys as the rules do: the
/// same keys in the same order, the optional ones in brackets, the secrets marked †.
#[test]
fn the_readme_lists_each_source_types_keys() {
    let readme = readme();
    for source_type in SourceType::ALL {
        let row_start = format!("| `{}` |", source_type.as_str());
        let row = readme
            .lines()
            .find(|line| line.starts_with(&row_start))
            .unwrap_or_else(|| panic!("README.md has no row for {}", source_type.as_str()));
        let cell = row.trim_end_matches('|').rsplit('|').next().unwrap().trim();
        let listed: Vec<String> = cell.split(", ").map(str::to_owned).collect();
        let expected: Vec<String> = credential_keys(source_type)
            .map(|k| {
                let key = format!("`{}`{}", k.key, if k.secret { "†" } else { "" });
                if k.required { key } else { format!("[{key}]") }
            })
            .collect();
        assert_eq!(listed, expected, "{}", source_type.as_str());
    }
}

/// Every relative link in the README, CONTRIBUTING.md and docs/ (but the SPEC, a copy of the
/// reference) names a file that exists, and every `#anchor` a heading of that file; none points
/// outside the repository.
#[test]
fn every_link_between_the_documents_resolves() {
    let root = workspace();
    let mut documents = vec![root.join("README.md"), root.join("CONTRIBUTING.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") && !path.ends_with("SPEC.md") {
            documents.push(path);
        }
    }
    let mut broken = Vec::new();
    for document in &documents {
        let text = read(document);
        let dir = document.parent().unwrap();
        for target in links(&text) {
            if target.starts_with("http://") || target.starts_with("https://") {
                continue;
            }
            let (file, anchor) = target.split_once('#').unwrap_or((&target, ""));
            let path = if file.is_empty() {
                document.clone()
            } else {
                dir.join(file)
            };
            let shown = format!(
                "{}: {target}",
                document.strip_prefix(&root).unwrap().display()
            );
            let Ok(path) = path.canonicalize() else {
                broken.push(format!("{shown} (no such file)"));
                continue;
            };
            if !path.starts_with(&root) {
                broken.push(format!("{shown} (outside the repository)"));
                continue;
            }
            if !anchor.is_empty() && !headings(&read(&path)).contains(anchor) {
                broken.push(format!("{shown} (no such heading)"));
            }
        }
    }
    assert!(broken.is_empty(), "broken links: {broken:#?}");
}

/// The targets of `[text](target)` and `![alt](target)` outside code blocks.
fn links(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            let target = &after[..end];
            if !target.contains(' ') && !target.starts_with('`') {
                found.push(target.to_owned());
            }
            rest = &after[end..];
        }
    }
    found
}

/// GitHub's anchors of a Markdown file's headings: lowercase, spaces to `-`, punctuation other
/// than `-` and `_` dropped.
fn headings(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code || !line.starts_with('#') {
            continue;
        }
        let title = line.trim_start_matches('#').trim();
        let anchor: String = title
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_' || *c == ' ')
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        found.insert(anchor);
    }
    found
}
