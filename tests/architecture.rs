//! The shape of the workspace, checked: the member's library links no node,
//! no module imports a module that imports it back, and no source file
//! outside the tests grows past [`MAX_LINES`] lines (`docs/ARCHITECTURE.md`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Longest source file outside tests.
const MAX_LINES: usize = 600;
/// The library crates and their source directories.
const CRATES: [&str; 7] = [
    "circuits",
    "verifier",
    "core",
    "prover",
    "ledger",
    "cli",
    "threshold",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `a/b/mod.rs` and `a/b.rs` are module `a::b`; `lib.rs` and `main.rs` the root.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts.join("::")
}

/// The source without comments and without a trailing `mod tests`.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Each `crate::a::b::...` and `super::x` path in `code`, resolved to the
/// longest known module prefix.
fn imports(module: &str, code: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut resolve = |path: Vec<&str>| {
        for k in (1..=path.len()).rev() {
            let candidate = path[..k].join("::");
            if modules.contains(&candidate) {
                let related = candidate == module
                    || module.starts_with(&format!("{candidate}::"))
                    || candidate.starts_with(&format!("{module}::"));
                if !related {
                    found.insert(candidate);
                }
                return;
            }
        }
    };
    let ident = |s: &str| -> Vec<String> {
        let mut parts = Vec::new();
        for seg in s.split("::") {
            let name: String = seg
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name.is_empty() {
                break;
            }
            parts.push(name);
            if !seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                break;
            }
        }
        parts
    };
    for (i, _) in code.match_indices("crate::") {
        let before = code[..i].chars().last();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let parts = ident(&code[i + "crate::".len()..]);
        resolve(parts.iter().map(String::as_str).collect());
    }
    let parent: Vec<&str> = module.split("::").filter(|s| !s.is_empty()).collect();
    for (i, _) in code.match_indices("super::") {
        let parts = ident(&code[i + "super::".len()..]);
        if let (Some(first), Some(_)) = (parts.first(), parent.last()) {
            let mut path: Vec<&str> = parent[..parent.len() - 1].to_vec();
            path.push(first);
            resolve(path);
        }
    }
    found
}

#[test]
fn no_module_imports_a_module_that_imports_it_back() {
    let mut circles = Vec::new();
    for krate in CRATES {
        let src = root().join(krate).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        files.retain(|f| !f.components().any(|c| c.as_os_str() == "bin"));
        let modules: BTreeMap<String, PathBuf> = files
            .iter()
            .map(|f| (module_of(&src, f), f.clone()))
            .collect();
        let names: BTreeSet<String> = modules.keys().cloned().collect();
        let edges: BTreeMap<&String, BTreeSet<String>> = modules
            .iter()
            .map(|(m, f)| {
                let code = code_of(&std::fs::read_to_string(f).unwrap());
                (m, imports(m, &code, &names))
            })
            .collect();
        for (a, targets) in &edges {
            for b in targets {
                if a.as_str() < b.as_str() && edges.get(b).is_some_and(|t| t.contains(*a)) {
                    circles.push(format!("{krate}: {a} <-> {b}"));
                }
            }
        }
    }
    assert!(
        circles.is_empty(),
        "import circles:\n{}",
        circles.join("\n")
    );
}

#[test]
fn no_source_file_outside_tests_is_longer_than_the_limit() {
    let mut long = Vec::new();
    for krate in CRATES {
        let mut files = Vec::new();
        rust_files(&root().join(krate).join("src"), &mut files);
        // A `tests.rs` beside a module is its `#[cfg(test)] mod tests`.
        for f in files.into_iter().filter(|f| !f.ends_with("tests.rs")) {
            let text = std::fs::read_to_string(&f).unwrap();
            let code = match text.find("#[cfg(test)]\nmod tests") {
                Some(i) => &text[..i],
                None => &text,
            };
            let n = code.lines().count();
            if n > MAX_LINES {
                long.push(format!("{} ({n} lines)", f.display()));
            }
        }
    }
    assert!(
        long.is_empty(),
        "split these by idea (at most {MAX_LINES} lines of non-test code):\n{}",
        long.join("\n")
    );
}

/// The packages `package` links when built alone, for normal builds (no
/// dev or build dependencies), by name: what `cargo tree -e normal` lists.
fn normal_dependencies(package: &str) -> BTreeSet<String> {
    let out = Command::new(env!("CARGO"))
        .args(["tree", "-p", package, "-e", "normal", "--prefix", "none"])
        .args(["--format", "{p}", "--locked", "--offline"])
        .current_dir(root())
        .output()
        .expect("cargo tree");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[test]
fn the_member_library_and_the_wire_types_link_no_node() {
    for package in ["zkpension-core", "zkpension-prover", "zkpension-verifier"] {
        let deps = normal_dependencies(package);
        let node: Vec<_> = ["zkpension-ledger", "redb", "axum", "tokio", "hyper"]
            .into_iter()
            .filter(|d| deps.contains(*d))
            .collect();
        assert!(node.is_empty(), "{package} links {node:?}");
    }
    // The node never links the constraint-system stack.
    let node = normal_dependencies("zkpension-ledger");
    for gadget in ["ark-r1cs-std", "zkpension-prover"] {
        assert!(!node.contains(gadget), "zkpension-ledger links {gadget}");
    }
}
