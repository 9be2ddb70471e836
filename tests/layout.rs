//! The layout of `src/kernels/` holds: its files import one another without a cycle, and none
//! imports the pool (the pool depends on the kernels, never the other way round). A file's
//! imports are the sibling modules its non-test code names (`super::x`, `crate::kernels::x`);
//! comments and `#[cfg(test)]` modules do not count, doc links are comments.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The code of `src` before its test module, without comment lines.
fn code(src: &str) -> String {
    let end = src.find("#[cfg(test)]\nmod tests").unwrap_or(src.len());
    src[..end]
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The identifiers that follow each occurrence of `prefix` in `code`.
fn names_after<'a>(code: &'a str, prefix: &str) -> Vec<&'a str> {
    code.match_indices(prefix)
        .map(|(i, _)| {
            let rest = &code[i + prefix.len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .collect()
}

/// Each module of `src/kernels/` and the sibling modules it imports.
fn kernel_imports() -> BTreeMap<String, BTreeSet<String>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/kernels");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    let modules: BTreeSet<String> = files
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .filter(|m| m != "mod")
        .collect();
    let mut graph = BTreeMap::new();
    for path in &files {
        let module = path.file_stem().unwrap().to_string_lossy().into_owned();
        if module == "mod" {
            continue; // the parent re-exports its children; the children must not need it
        }
        let code = code(&std::fs::read_to_string(path).unwrap());
        let mut deps = BTreeSet::new();
        // `super::X` for an item `X` is a nested module naming its own file's item.
        let siblings = names_after(&code, "super::")
            .into_iter()
            .filter(|n| modules.contains(*n));
        for name in names_after(&code, "crate::kernels::") {
            assert!(
                modules.contains(name),
                "{module}.rs names `crate::kernels::{name}` through the parent module, not \
                 through the sibling that defines it"
            );
        }
        for name in siblings.chain(names_after(&code, "crate::kernels::")) {
            if name != module {
                deps.insert(name.to_string());
            }
        }
        graph.insert(module, deps);
    }
    graph
}

/// A cycle of `graph`, if it has one, as the modules along it.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    /// Depth-first from `m`: a module met again on the current path closes a cycle.
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if done.contains(m) {
            return None;
        }
        if let Some(at) = path.iter().position(|p| p == m) {
            let mut cycle = path[at..].to_vec();
            cycle.push(m.to_string());
            return Some(cycle);
        }
        path.push(m.to_string());
        for d in graph.get(m).into_iter().flatten() {
            if let Some(c) = visit(d, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|m| visit(m, graph, &mut Vec::new(), &mut done))
}

#[test]
fn kernel_modules_import_without_a_cycle() {
    let graph = kernel_imports();
    assert!(graph.len() > 10, "the kernels' files were found: {graph:?}");
    if let Some(cycle) = find_cycle(&graph) {
        panic!("import cycle in src/kernels: {}", cycle.join(" -> "));
    }
}

#[test]
fn kernels_do_not_import_the_pool() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/kernels");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let code = code(&std::fs::read_to_string(&path).unwrap());
        for pool in ["crate::pool", "crate::Pool", "crate::global", "impl Pool"] {
            assert!(
                !code.contains(pool),
                "{} names `{pool}`: the kernels must not depend on the pool",
                path.display()
            );
        }
    }
}

/// The checks above see what they are meant to: comments and test modules are skipped, and a
/// cycle, long or short, is found.
#[test]
fn the_checks_have_teeth() {
    let src = "use super::a;\n// use super::b;\n#[cfg(test)]\nmod tests { use super::c; }";
    assert_eq!(names_after(&code(src), "super::"), ["a"]);
    let graph = |edges: &[(&str, &str)]| {
        let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (m, d) in edges {
            g.entry(m.to_string()).or_default().insert(d.to_string());
            g.entry(d.to_string()).or_default();
        }
        g
    };
    assert_eq!(
        find_cycle(&graph(&[("a", "b"), ("b", "c"), ("a", "c")])),
        None
    );
    let cycle = find_cycle(&graph(&[("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")])).unwrap();
    assert_eq!(cycle.len(), 4, "{cycle:?}");
    assert_eq!(cycle.first(), cycle.last());
}
