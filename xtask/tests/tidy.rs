//! Tidy checks: rules about the repository's shape that no compiler enforces. Run by
//! `cargo test -p xtask`, hence by `cargo xtask test`.
//!
//! Each rule is a function from the tree's contents to a list of violations. The `*_holds` tests
//! apply it to the real tree (and fail, naming each violation); the `*_catches` tests feed it
//! a broken fixture, so a rule that silently stopped matching anything would fail too.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The repository, or `RMP_TIDY_ROOT`: a copy to break on purpose, to see a check fail.
fn root() -> PathBuf {
    if let Some(copy) = std::env::var_os("RMP_TIDY_ROOT") {
        return copy.into();
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the repository root")
        .to_owned()
}

// ---------------------------------------------------------------------------------------------
// Dependencies: only `sandbox` talks to Docker; `api-types` (compiled to wasm for the SPA, and
// the wire format) depends on serde alone.

/// Every workspace member: (its folder relative to the root, its parsed Cargo.toml).
fn members(root: &Path) -> Vec<(String, toml::Table)> {
    let workspace: toml::Table = read_toml(&root.join("Cargo.toml"));
    let listed = workspace["workspace"]["members"]
        .as_array()
        .expect("workspace.members is a list");
    listed
        .iter()
        .map(|member| {
            let folder = member.as_str().expect("a member is a path").to_owned();
            let manifest = read_toml(&root.join(&folder).join("Cargo.toml"));
            (folder, manifest)
        })
        .collect()
}

fn read_toml(path: &Path) -> toml::Table {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The dependency tables of a manifest, `target.'cfg(..)'.*` ones included: (table name, crate
/// name as published, i.e. after `package = ".."` renames).
fn dependencies(manifest: &toml::Table, with_dev: bool) -> Vec<(String, String)> {
    let mut kinds = vec!["dependencies", "build-dependencies"];
    if with_dev {
        kinds.push("dev-dependencies");
    }
    let mut tables: Vec<(String, &toml::Table)> = Vec::new();
    for kind in &kinds {
        if let Some(table) = manifest.get(*kind).and_then(toml::Value::as_table) {
            tables.push(((*kind).to_owned(), table));
        }
    }
    if let Some(targets) = manifest.get("target").and_then(toml::Value::as_table) {
        for (cfg, target) in targets {
            for kind in &kinds {
                if let Some(table) = target.get(*kind).and_then(toml::Value::as_table) {
                    tables.push((format!("target.{cfg}.{kind}"), table));
                }
            }
        }
    }
    let mut found = Vec::new();
    for (table_name, table) in tables {
        for (key, value) in table {
            let published = value
                .get("package")
                .and_then(toml::Value::as_str)
                .unwrap_or(key);
            found.push((table_name.clone(), published.to_owned()));
        }
    }
    found
}

fn bollard_outside_sandbox(members: &[(String, toml::Table)]) -> Vec<String> {
    let mut violations = Vec::new();
    for (folder, manifest) in members {
        if folder == "sandbox" {
            continue;
        }
        for (table, name) in dependencies(manifest, true) {
            if name == "bollard" {
                violations.push(format!(
                    "{folder}/Cargo.toml: [{table}] has bollard; only the sandbox crate talks to Docker"
                ));
            }
        }
    }
    violations
}

fn api_types_beyond_serde(members: &[(String, toml::Table)]) -> Vec<String> {
    let (_, manifest) = members
        .iter()
        .find(|(folder, _)| folder == "api-types")
        .expect("api-types is a workspace member");
    dependencies(manifest, false)
        .into_iter()
        .filter(|(_, name)| name != "serde")
        .map(|(table, name)| {
            format!(
                "api-types/Cargo.toml: [{table}] has {name}; api-types may depend on serde only"
            )
        })
        .collect()
}

#[test]
fn only_sandbox_depends_on_bollard_holds() {
    let members = members(&root());
    // Guard against a vacuous pass: the members were really read.
    assert!(
        members.iter().any(|(f, _)| f == "sandbox"),
        "no sandbox member"
    );
    let sandbox = &members.iter().find(|(f, _)| f == "sandbox").unwrap().1;
    assert!(
        dependencies(sandbox, false)
            .iter()
            .any(|(_, n)| n == "bollard"),
        "the sandbox crate no longer uses bollard: update this check"
    );
    let violations = bollard_outside_sandbox(&members);
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn only_sandbox_depends_on_bollard_catches() {
    let fixture = |folder: &str, text: &str| (folder.to_owned(), toml::from_str(text).unwrap());
    let members = [
        fixture("sandbox", "[dependencies]\nbollard = \"0.21\"\n"),
        fixture("backend", "[dependencies]\nbollard.workspace = true\n"),
        fixture(
            "verify",
            "[target.'cfg(unix)'.dev-dependencies]\ndocker = { package = \"bollard\", version = \"0.21\" }\n",
        ),
        fixture("xtask", "[dependencies]\nflate2 = \"1\"\n"),
    ];
    let violations = bollard_outside_sandbox(&members);
    assert_eq!(violations.len(), 2, "{violations:#?}");
    assert!(violations[0].starts_with("backend/Cargo.toml: [dependencies]"));
    assert!(violations[1].starts_with("verify/Cargo.toml: [target.cfg(unix).dev-dependencies]"));
}

#[test]
fn api_types_depends_only_on_serde_holds() {
    let violations = api_types_beyond_serde(&members(&root()));
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn api_types_depends_only_on_serde_catches() {
    let manifest = "[dependencies]\nserde = \"1\"\n\n[dev-dependencies]\nserde_json = \"1\"\n\n\
                    [target.'cfg(target_arch = \"wasm32\")'.dependencies]\njs-sys = \"0.3\"\n";
    let members = [("api-types".to_owned(), toml::from_str(manifest).unwrap())];
    assert_eq!(
        api_types_beyond_serde(&members),
        [
            "api-types/Cargo.toml: [target.cfg(target_arch = \"wasm32\").dependencies] has js-sys; api-types may depend on serde only"
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// The runner list exists once: runner-images/*/runner.toml, read by the `runners` crate. Any
// other Rust source that spells out several runners (an enum like the old `Channel`, a `match`
// over runner names, an array of them) is a second list that a new runner would not reach.
//
// What counts as a list: one bracket/brace/paren group naming at least LIST_MIN different runners,
// either as string literals ("miri", or the image "rmp-runner-miri:latest") or as CamelCase
// identifiers (`Miri`, `Channel::CortexM`; counted per path qualifier, so `Tool::Miri` and
// `Toolchain::Nightly`, the split axes, do not add up). A `(..)` or `[..]` group passes what it
// names on to an enclosing `(..)` or `[..]` (`[("stable", 1), ("miri", 2)]` is one list), never
// to a `{..}` block: a test whose statements each use one runner (`add(job("miri"))`, then
// `add(job("loom"))`) is not a list, and neither is a file whose tests each use one. Two is not
// a list: the toolchain enum legitimately names stable and nightly, and a test may compare two.

const LIST_MIN: usize = 3;

/// Names by which source can refer to a runner.
struct RunnerNames {
    /// String literal -> runner id.
    literals: BTreeMap<String, String>,
    /// CamelCase identifier -> runner id.
    idents: BTreeMap<String, String>,
}

impl RunnerNames {
    fn new<'a>(runners: impl IntoIterator<Item = (&'a str, &'a str)>) -> RunnerNames {
        let mut names = RunnerNames {
            literals: BTreeMap::new(),
            idents: BTreeMap::new(),
        };
        for (id, image) in runners {
            names.literals.insert(id.to_owned(), id.to_owned());
            names.literals.insert(image.to_owned(), id.to_owned());
            let camel: String = id
                .split(['-', '_'])
                .map(|part| {
                    let mut chars = part.chars();
                    chars
                        .next()
                        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                        .unwrap_or_default()
                })
                .collect();
            names.idents.insert(camel, id.to_owned());
        }
        names
    }
}

struct Group {
    opener: char,
    line: usize,
    /// Runners named by string literals.
    literals: BTreeSet<String>,
    /// Path qualifier ("" for none) -> runners named by identifiers under it.
    idents: BTreeMap<String, BTreeSet<String>>,
}

impl Group {
    fn new(opener: char, line: usize) -> Group {
        Group {
            opener,
            line,
            literals: BTreeSet::new(),
            idents: BTreeMap::new(),
        }
    }

    fn absorb(&mut self, child: &Group) {
        self.literals.extend(child.literals.iter().cloned());
        for (qualifier, ids) in &child.idents {
            self.idents
                .entry(qualifier.clone())
                .or_default()
                .extend(ids.iter().cloned());
        }
    }

    fn list(&self) -> Option<Vec<String>> {
        if self.literals.len() >= LIST_MIN {
            return Some(self.literals.iter().cloned().collect());
        }
        self.idents
            .values()
            .find(|ids| ids.len() >= LIST_MIN)
            .map(|ids| ids.iter().cloned().collect())
    }
}

/// The lines (1-based) where `source` opens a group that lists runners, with the runners.
/// A small Rust lexer: comments, strings (raw ones too), char literals and lifetimes are told
/// apart, so brackets and names inside them do not count.
fn runner_lists(source: &str, names: &RunnerNames) -> Vec<(usize, Vec<String>)> {
    let chars: Vec<char> = source.chars().collect();
    let mut found = Vec::new();
    let mut stack = vec![Group::new('{', 1)];
    let mut line = 1;
    let mut i = 0;
    // The identifier before a `::` just seen, for path qualifiers.
    let mut qualifier: Option<String> = None;
    let mut last_ident: Option<String> = None;
    let ident_char = |c: char| c.is_alphanumeric() || c == '_';
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '\n' => {
                line += 1;
                i += 1;
            }
            '/' if next == Some('/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if next == Some('*') => {
                let mut depth = 0;
                while i < chars.len() {
                    if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                        depth += 1;
                        i += 2;
                    } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        if chars[i] == '\n' {
                            line += 1;
                        }
                        i += 1;
                    }
                }
            }
            '"' => {
                let start = i + 1;
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' {
                        i += 1;
                    }
                    if chars.get(i) == Some(&'\n') {
                        line += 1;
                    }
                    i += 1;
                }
                let text: String = chars[start..i.min(chars.len())].iter().collect();
                record_literal(&mut stack, names, &text);
                i += 1;
                last_ident = None;
            }
            '\'' => {
                // 'x' and '\n' are char literals; 'a (no closing quote two along) a lifetime.
                if next == Some('\\') {
                    i += 2;
                    while i < chars.len() && chars[i] != '\'' {
                        i += 1;
                    }
                    i += 1;
                } else if chars.get(i + 2) == Some(&'\'') {
                    i += 3;
                } else {
                    i += 1;
                }
            }
            '(' | '[' | '{' => {
                stack.push(Group::new(c, line));
                i += 1;
                last_ident = None;
                qualifier = None;
            }
            ')' | ']' | '}' => {
                if stack.len() > 1 {
                    let group = stack.pop().expect("not the file's own group");
                    if let Some(list) = group.list() {
                        found.push((group.line, list));
                    } else if group.opener != '{' {
                        let parent = stack.last_mut().expect("the file's group");
                        if parent.opener != '{' {
                            parent.absorb(&group);
                        }
                    }
                }
                i += 1;
                last_ident = None;
                qualifier = None;
            }
            ':' if next == Some(':') => {
                qualifier = last_ident.take();
                i += 2;
            }
            c if ident_char(c) && !(i > 0 && ident_char(chars[i - 1])) => {
                let start = i;
                while i < chars.len() && ident_char(chars[i]) {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                // Raw strings: r"..", r#".."#, br#".."#.
                if (word == "r" || word == "br") && matches!(chars.get(i), Some('"' | '#')) {
                    let mut hashes = 0;
                    while chars.get(i) == Some(&'#') {
                        hashes += 1;
                        i += 1;
                    }
                    if chars.get(i) == Some(&'"') {
                        let start = i + 1;
                        let close: String = std::iter::once('"')
                            .chain(std::iter::repeat_n('#', hashes))
                            .collect();
                        let rest: String = chars[start..].iter().collect();
                        let end = rest
                            .find(&close)
                            .map_or(chars.len(), |at| start + rest[..at].chars().count());
                        let text: String = chars[start..end].iter().collect();
                        line += text.matches('\n').count();
                        record_literal(&mut stack, names, &text);
                        i = (end + 1 + hashes).min(chars.len());
                        continue;
                    }
                }
                if let Some(id) = names.idents.get(&word) {
                    let group = stack.last_mut().expect("the file's group");
                    group
                        .idents
                        .entry(qualifier.take().unwrap_or_default())
                        .or_default()
                        .insert(id.clone());
                }
                qualifier = None;
                last_ident = Some(word);
            }
            c if c.is_whitespace() => i += 1,
            _ => {
                i += 1;
                last_ident = None;
                qualifier = None;
            }
        }
    }
    found
}

fn record_literal(stack: &mut [Group], names: &RunnerNames, text: &str) {
    if let Some(id) = names.literals.get(text) {
        let group = stack.last_mut().expect("the file's group");
        group.literals.insert(id.clone());
    }
}

/// Every `.rs` file of the repository outside the registry's own folders.
fn rust_sources(root: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || matches!(name.as_str(), "target" | "node_modules" | "dist")
            {
                continue;
            }
            if path.is_dir() {
                walk(&path, out);
            } else if name.ends_with(".rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(root, &mut files);
    let this_file = root.join("xtask/tests/tidy.rs");
    files.retain(|file| {
        let relative = file.strip_prefix(root).unwrap_or(file);
        // The registry (its tests list every runner on purpose), the images' own sources, and
        // this file's fixtures.
        !relative.starts_with("runners")
            && !relative.starts_with("runner-images")
            && *file != this_file
    });
    files.sort();
    files
}

#[test]
fn the_runner_list_is_defined_once_holds() {
    let root = root();
    let names = RunnerNames::new(
        runners::all()
            .iter()
            .map(|r| (r.id.as_str(), r.image.as_str())),
    );
    assert!(
        names.idents.contains_key("CortexM"),
        "the registry was read"
    );
    let sources = rust_sources(&root);
    assert!(
        sources.iter().any(|f| f.ends_with("sandbox/src/lib.rs")),
        "the walk found the crates"
    );
    let mut violations = Vec::new();
    for file in sources {
        let text = fs::read_to_string(&file).unwrap();
        for (line, runners) in runner_lists(&text, &names) {
            violations.push(format!(
                "{}:{line}: lists the runners {}; read them from the `runners` crate (runners::all(), get, lookup) instead",
                file.strip_prefix(&root).unwrap_or(&file).display(),
                runners.join(", ")
            ));
        }
    }
    assert!(violations.is_empty(), "\n{}", violations.join("\n"));
}

fn fixture_names() -> RunnerNames {
    RunnerNames::new([
        ("stable", "rmp-runner-stable:latest"),
        ("nightly", "rmp-runner-nightly:latest"),
        ("miri", "rmp-runner-miri:latest"),
        ("loom", "rmp-runner-loom:latest"),
        ("cortex-m", "rmp-runner-cortex-m:latest"),
    ])
}

#[test]
fn the_runner_list_is_defined_once_catches() {
    let names = fixture_names();
    let lines = |source: &str| -> Vec<usize> {
        runner_lists(source, &names)
            .into_iter()
            .map(|(line, _)| line)
            .collect()
    };
    // The old enum, and a match over it.
    let channel = "pub enum Channel {\n    Stable,\n    Nightly,\n    Miri,\n    Loom,\n    CortexM,\n}\n\
                   fn name(c: Channel) -> &'static str {\n    match c {\n        Channel::Stable => \"s\",\n        \
                   Channel::Miri => \"m\",\n        Channel::CortexM => \"c\",\n    }\n}\n";
    assert_eq!(lines(channel), [1, 9]);
    // Arrays of names or images, nested in tuples or a macro, over several lines.
    assert_eq!(
        lines("const R: &[&str] = &[\"stable\", \"nightly\", \"miri\"];"),
        [1]
    );
    assert_eq!(
        lines(
            "let r = vec![\n(\"loom\", 1),\n(r#\"cortex-m\"#, 2),\n(\"rmp-runner-miri:latest\", 3),\n];"
        ),
        [1]
    );
    // A match on strings.
    assert_eq!(
        lines(
            "fn f(s: &str) { match s { \"stable\" | \"nightly\" => 1, \"miri\" => 2, _ => 3 }; }"
        ),
        [1]
    );
    // Line numbers count comments and multi-line strings.
    assert_eq!(
        lines(
            "/* one\ntwo */\nlet s = \"a\nb\";\n// [\"stable\", \"nightly\", \"miri\"]\nlet x = [\"stable\", \"nightly\", \"miri\"];"
        ),
        [6]
    );
}

#[test]
fn the_runner_list_check_spares_single_names_and_the_split_axes() {
    let names = fixture_names();
    let spared = [
        // Test fixtures, one runner each, in several tests of one file.
        "#[test] fn a() { run(job(\"miri\")); }\n#[test] fn b() { run(job(\"loom\")); }\n#[test] fn c() { run(job(\"cortex-m\")); }",
        // One test adding a case per runner, each a statement of its own.
        "#[test] fn summary() {\n    add(job(\"stable\"), 1);\n    add(job(\"loom\"), 2);\n    add(job(\"miri\"), 3);\n}",
        // Two runners compared.
        "for id in [\"stable\", \"nightly\"] { check(id); }",
        // The axes the old Channel was split into.
        "pub enum Toolchain { Stable, Nightly }\npub enum Tool { Rustc, Miri, Loom }",
        "match (t, u) { (Toolchain::Stable, Tool::Miri) => 1, (Toolchain::Nightly, Tool::Loom) => 2, _ => 3 }",
        // Names inside comments, prose and char/lifetime syntax.
        "// stable, nightly, miri\nlet s = \"stable, nightly and miri\"; let c = '['; fn f<'a>(x: &'a str) {}",
    ];
    for source in spared {
        assert_eq!(runner_lists(source, &names), [], "{source}");
    }
}

// ---------------------------------------------------------------------------------------------
// The registry and the recipes agree: `buildable = true` exactly when the runner's folder has
// both recipes `cargo xtask images` builds from.

#[test]
fn buildable_runners_have_both_recipes() {
    let images = root().join("runner-images");
    let mut violations = Vec::new();
    for runner in runners::all() {
        let folder = images.join(&runner.folder);
        let recipes = ["Dockerfile.online", "Dockerfile.offline"]
            .iter()
            .filter(|name| folder.join(name).is_file())
            .count();
        match (runner.buildable, recipes) {
            (true, 2) | (false, 0) => {}
            (buildable, n) => violations.push(format!(
                "runner-images/{}: buildable = {buildable} but {n} of Dockerfile.online/.offline exist",
                runner.folder
            )),
        }
    }
    assert!(
        runners::all().iter().any(|r| r.buildable),
        "no runner is buildable"
    );
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}
