//! Fence info strings: ```` ```rust,editable,should_panic ```` and what they ask for.

use api_types::{Action, Channel, Edition, RunSettings};

/// What the fence's info string says: the language, then attributes separated by commas or spaces.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CodeInfo {
    pub language: String,
    pub attributes: Vec<String>,
}

/// Where a code block sits, which decides the attributes it may carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// Directly in a chapter.
    Chapter,
    /// Inside an ```` ````exercise ```` block.
    Exercise,
    /// Inside a ```` ````files ```` block.
    Files,
    /// Inside speaker notes or a hint: shown, never run.
    Aside,
}

/// The part a code block plays inside an exercise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Starter,
    Tests,
    Solution,
}

/// What verifying a block checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expectation {
    /// Compiles and `main` exits with status 0.
    RunsCleanly,
    /// Compiles and panics (`should_panic`).
    Panics,
    /// The compiler rejects it (`compile_fail`).
    FailsToCompile,
    /// Compiles; not run (`no_run`).
    Compiles,
    /// Compiles with `--test` and every test passes (`test`).
    TestsPass,
}

const RUNNERS: &[(&str, Channel)] = &[
    ("stable", Channel::Stable),
    ("nightly", Channel::Nightly),
    ("miri", Channel::Miri),
    ("loom", Channel::Loom),
    ("cortex-m", Channel::CortexM),
];
const EDITIONS: &[(&str, Edition)] = &[
    ("edition2015", Edition::E2015),
    ("edition2018", Edition::E2018),
    ("edition2021", Edition::E2021),
    ("edition2024", Edition::E2024),
];
const ACTIONS: &[&str] = &["run", "test"];
const FLAGS: &[&str] = &[
    "editable",
    "noplayground",
    "ignore",
    "no_run",
    "should_panic",
    "compile_fail",
];
const ROLES: &[(&str, Role)] = &[
    ("starter", Role::Starter),
    ("tests", Role::Tests),
    ("solution", Role::Solution),
];

impl CodeInfo {
    /// Parses an info string: the language first, then attributes separated by commas or spaces.
    pub fn parse(info: &str) -> CodeInfo {
        let mut words = info
            .split([',', ' ', '\t'])
            .map(str::trim)
            .filter(|w| !w.is_empty());
        let language = words.next().unwrap_or("text").to_owned();
        CodeInfo {
            language,
            attributes: words.map(str::to_owned).collect(),
        }
    }

    pub fn has(&self, attribute: &str) -> bool {
        self.attributes.iter().any(|a| a == attribute)
    }

    pub fn is_rust(&self) -> bool {
        self.language == "rust"
    }

    /// A Rust block a student can run, unless the author opted out.
    pub fn runnable(&self) -> bool {
        self.is_rust() && !self.has("ignore") && !self.has("noplayground")
    }

    pub fn editable(&self) -> bool {
        self.has("editable")
    }

    /// The value of `file=...`, for blocks inside a ```` ````files ```` block.
    pub fn file(&self) -> Option<&str> {
        self.attributes.iter().find_map(|a| a.strip_prefix("file="))
    }

    pub fn role(&self) -> Option<Role> {
        ROLES
            .iter()
            .find(|(name, _)| self.has(name))
            .map(|&(_, role)| role)
    }

    pub fn run_settings(&self) -> RunSettings {
        RunSettings {
            channel: self.pick(RUNNERS).unwrap_or_default(),
            edition: self.pick(EDITIONS).unwrap_or_default(),
            action: if self.has("test") {
                Action::Test
            } else {
                Action::Run
            },
        }
    }

    fn pick<T: Copy>(&self, table: &[(&str, T)]) -> Option<T> {
        table
            .iter()
            .find(|(name, _)| self.has(name))
            .map(|&(_, value)| value)
    }

    /// What the verification command checks for this block.
    pub fn expectation(&self) -> Expectation {
        if self.has("compile_fail") {
            Expectation::FailsToCompile
        } else if self.has("no_run") {
            Expectation::Compiles
        } else if self.has("should_panic") {
            Expectation::Panics
        } else if self.has("test") {
            Expectation::TestsPass
        } else {
            Expectation::RunsCleanly
        }
    }

    /// Everything wrong with the attributes of a block in `context`, as messages for the author.
    /// Blocks in other languages may carry only `file=` (in a files block) and exercise roles.
    pub fn problems(&self, context: Context) -> Vec<String> {
        let mut problems = Vec::new();
        for attribute in &self.attributes {
            if let Some(problem) = self.attribute_problem(attribute, context) {
                problems.push(problem);
            }
        }
        problems.extend(self.conflicts());
        if context == Context::Files && self.file().is_none() {
            problems.push(format!(
                "a block in a files block needs `file=<path>` after its language (e.g. ```{},file=src/lib.rs)",
                self.language
            ));
        }
        problems
    }

    /// Attributes that pick different values of one setting (two runners, two editions, ...).
    fn conflicts(&self) -> Vec<String> {
        let groups: [(&str, Vec<&str>); 4] = [
            ("runners", RUNNERS.iter().map(|r| r.0).collect()),
            ("editions", EDITIONS.iter().map(|e| e.0).collect()),
            ("actions", ACTIONS.to_vec()),
            (
                "expectations",
                vec!["should_panic", "compile_fail", "no_run"],
            ),
        ];
        let mut conflicts = Vec::new();
        for (what, names) in groups {
            let named: Vec<String> = names
                .into_iter()
                .filter(|n| self.has(n))
                .map(|n| format!("`{n}`"))
                .collect();
            if named.len() > 1 {
                conflicts.push(format!(
                    "{} are different {what}; a block takes one",
                    named.join(" and ")
                ));
            }
        }
        conflicts
    }

    fn attribute_problem(&self, attribute: &str, context: Context) -> Option<String> {
        if let Some(path) = attribute.strip_prefix("file=") {
            return match context {
                Context::Files => file_path_problem(path),
                _ => Some(format!(
                    "`{attribute}` only belongs on a block inside a ````files block"
                )),
            };
        }
        if let Some(&(name, _)) = ROLES.iter().find(|(name, _)| *name == attribute) {
            return (context != Context::Exercise)
                .then(|| format!("`{name}` only belongs on a block inside an ````exercise block"));
        }
        if !self.is_rust() {
            return None;
        }
        let known = RUNNERS.iter().any(|r| r.0 == attribute)
            || EDITIONS.iter().any(|e| e.0 == attribute)
            || ACTIONS.contains(&attribute)
            || FLAGS.contains(&attribute);
        if known {
            return (context == Context::Exercise).then(|| {
                format!(
                    "`{attribute}` does not belong on a block inside an exercise; put the runner and edition on the ````exercise fence"
                )
            });
        }
        Some(unknown_attribute(attribute))
    }
}

/// Checks the attributes of an ```` ````exercise ```` fence: only a runner and an edition.
pub fn exercise_fence_problems(info: &CodeInfo) -> Vec<String> {
    let mut problems = Vec::new();
    for attribute in &info.attributes {
        let fits =
            RUNNERS.iter().any(|r| r.0 == attribute) || EDITIONS.iter().any(|e| e.0 == attribute);
        if !fits {
            problems.push(format!(
                "an exercise fence takes only a runner ({}) and an edition, not `{attribute}`",
                names(RUNNERS)
            ));
        }
    }
    problems.extend(info.conflicts());
    problems
}

fn unknown_attribute(attribute: &str) -> String {
    let normalized = attribute.to_ascii_lowercase().replace('-', "_");
    let all = FLAGS
        .iter()
        .chain(ACTIONS)
        .copied()
        .chain(RUNNERS.iter().map(|r| r.0))
        .chain(EDITIONS.iter().map(|e| e.0));
    for name in all {
        if name.replace('-', "_") == normalized {
            return format!("unknown attribute `{attribute}`; did you mean `{name}`?");
        }
    }
    if attribute.starts_with("edition") {
        return format!(
            "unknown edition `{attribute}` (editions: {})",
            names(EDITIONS)
        );
    }
    format!(
        "unknown attribute `{attribute}` on a rust block (runners: {}; editions: {}; actions: run, test; others: {})",
        names(RUNNERS),
        names(EDITIONS),
        FLAGS.join(", ")
    )
}

fn file_path_problem(path: &str) -> Option<String> {
    let bad = path.is_empty()
        || path.starts_with('/')
        || path.split('/').any(|part| part.is_empty() || part == "..");
    bad.then(|| format!("`file={path}` must be a relative path inside the lab, like `src/lib.rs`"))
}

fn names<T>(table: &[(&str, T)]) -> String {
    table.iter().map(|r| r.0).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(info: &str, context: Context) -> Vec<String> {
        CodeInfo::parse(info).problems(context)
    }

    #[test]
    fn info_strings_split_on_commas_and_spaces() {
        let info = CodeInfo::parse("rust,editable should_panic");
        assert_eq!(info.language, "rust");
        assert_eq!(info.attributes, ["editable", "should_panic"]);
        assert!(info.runnable());
        assert!(info.editable());
        assert_eq!(CodeInfo::parse("").language, "text");
        assert!(!CodeInfo::parse("rust,ignore").runnable());
        assert!(!CodeInfo::parse("rust noplayground").runnable());
        assert!(!CodeInfo::parse("toml").runnable());
    }

    #[test]
    fn attributes_choose_runner_edition_action_and_expectation() {
        let info = CodeInfo::parse("rust,nightly,edition2021,test");
        assert_eq!(
            info.run_settings(),
            RunSettings {
                channel: Channel::Nightly,
                edition: Edition::E2021,
                action: Action::Test
            }
        );
        assert_eq!(info.expectation(), Expectation::TestsPass);
        assert_eq!(
            CodeInfo::parse("rust").run_settings(),
            RunSettings::default()
        );
        assert_eq!(
            CodeInfo::parse("rust,compile_fail").expectation(),
            Expectation::FailsToCompile
        );
        assert_eq!(
            CodeInfo::parse("rust,no_run").expectation(),
            Expectation::Compiles
        );
        assert_eq!(
            CodeInfo::parse("rust,should_panic").expectation(),
            Expectation::Panics
        );
        assert_eq!(
            CodeInfo::parse("rust,cortex-m").run_settings().channel,
            Channel::CortexM
        );
    }

    #[test]
    fn malformed_attributes_are_explained() {
        assert!(problems("rust,editable,miri,edition2018", Context::Chapter).is_empty());
        assert_eq!(
            problems("rust,should-panic", Context::Chapter),
            ["unknown attribute `should-panic`; did you mean `should_panic`?"]
        );
        assert_eq!(
            problems("rust,edition2019", Context::Chapter),
            [
                "unknown edition `edition2019` (editions: edition2015, edition2018, edition2021, edition2024)"
            ]
        );
        assert!(problems("rust,beta", Context::Chapter)[0]
            .starts_with("unknown attribute `beta` on a rust block (runners: stable, nightly, miri, loom, cortex-m;"));
        assert_eq!(
            problems("rust,nightly,miri", Context::Chapter),
            ["`nightly` and `miri` are different runners; a block takes one"]
        );
        assert_eq!(
            problems("rust,starter", Context::Chapter),
            ["`starter` only belongs on a block inside an ````exercise block"]
        );
        assert!(problems("rust,starter", Context::Exercise).is_empty());
        assert!(problems("rust,tests,nightly", Context::Exercise)[0].contains("put the runner"));
        assert!(problems("c,file=shim.c", Context::Files).is_empty());
        assert!(problems("c", Context::Files)[0].contains("needs `file=<path>`"));
        assert!(problems("c,file=../x.c", Context::Files)[0].contains("relative path"));
        // Other languages' attributes are theirs to define.
        assert!(problems("toml,whatever", Context::Chapter).is_empty());
    }

    #[test]
    fn exercise_fences_take_a_runner_and_an_edition() {
        assert!(exercise_fence_problems(&CodeInfo::parse("exercise,loom,edition2021")).is_empty());
        assert!(
            exercise_fence_problems(&CodeInfo::parse("exercise,editable"))[0]
                .contains("not `editable`")
        );
        assert!(
            exercise_fence_problems(&CodeInfo::parse("exercise,loom,miri"))[0]
                .contains("different runners")
        );
    }
}
