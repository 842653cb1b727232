//! Fence info strings: ```` ```rust,editable,should_panic ```` and what they ask for.
//!
//! Runner names come from the runner registry (`runners`), so a runner added under
//! `runner-images/` is a valid fence word without touching this file; flags are
//! [`CodegenFlag`]s from the allow-list in `api-types`.

use api_types::flags::MiriFlag;
use api_types::flags::{ALLOWED_FLAGS, check_flags};
use api_types::{Action, CodegenFlag, Edition, Mode, RunSettings};
use runners::RunnerSpec;

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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Starter,
    Tests,
    Solution,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Starter => "starter",
            Role::Tests => "tests",
            Role::Solution => "solution",
        }
    }
}

/// What verifying a block checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expectation {
    /// Compiles and `main` exits with status 0.
    RunsCleanly,
    /// Compiles and panics (`should_panic`).
    Panics,
    /// The compiler rejects it (`compile_fail`, perhaps with error codes it must report).
    FailsToCompile,
    /// Compiles; not run (`no_run`, or the `clippy` action).
    Compiles,
    /// Compiles with `--test` and every test passes (`test`).
    TestsPass,
}

const EDITIONS: &[(&str, Edition)] = &[
    ("edition2015", Edition::E2015),
    ("edition2018", Edition::E2018),
    ("edition2021", Edition::E2021),
    ("edition2024", Edition::E2024),
];
/// The actions a fence may choose for its main button. The compiler views and rustfmt are
/// offered on every block by the page, so a fence does not pick them.
const ACTIONS: &[Action] = &[Action::Run, Action::Test, Action::Clippy];
const SWITCHES: &[&str] = &[
    "editable",
    "noplayground",
    "ignore",
    "no_run",
    "should_panic",
    "compile_fail",
];
const EXPECTATIONS: &[&str] = &["should_panic", "compile_fail", "no_run"];
const RELEASE: &str = "release";
const ROLES: &[Role] = &[Role::Starter, Role::Tests, Role::Solution];

/// One attribute, classified.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Attribute<'a> {
    Runner(&'static RunnerSpec),
    Edition(Edition),
    Action(Action),
    Release,
    Flag(CodegenFlag),
    /// `editable`, `ignore`, `compile_fail`, ...
    Switch(&'a str),
    /// `E0499`: an error code a `compile_fail` block expects.
    ErrorCode(&'a str),
    File(&'a str),
    Id(&'a str),
    Role(Role),
    /// A `name=value` word that is not an allowed flag: the message says why.
    BadFlag(String),
    /// `-Zmiri-strict-provenance` and the other Miri flags of the allow-list.
    MiriFlag(&'a str),
    /// `preemptions=N`: Loom's preemption bound.
    Preemptions(u8),
    Unknown(&'a str),
}

impl<'a> Attribute<'a> {
    fn parse(word: &'a str) -> Attribute<'a> {
        if let Some(path) = word.strip_prefix("file=") {
            return Attribute::File(path);
        }
        if let Some(id) = word.strip_prefix("id=") {
            return Attribute::Id(id);
        }
        if word.starts_with("-Zmiri-") {
            return match MiriFlag::parse(word) {
                Ok(_) => Attribute::MiriFlag(word),
                Err(message) => Attribute::BadFlag(message),
            };
        }
        if let Some(bound) = word.strip_prefix("preemptions=") {
            return match bound.parse::<u8>() {
                Ok(n @ 1..=3) => Attribute::Preemptions(n),
                _ => Attribute::BadFlag(format!(
                    "`{word}`: Loom's preemption bound is 1, 2 or 3 (each one more multiplies the interleavings)"
                )),
            };
        }
        if word.contains('=') {
            return match CodegenFlag::parse(word) {
                Ok(flag) => Attribute::Flag(flag),
                Err(message) => Attribute::BadFlag(message),
            };
        }
        if let Some(runner) = runners::get(word) {
            return Attribute::Runner(runner);
        }
        if let Some(&(_, edition)) = EDITIONS.iter().find(|(name, _)| *name == word) {
            return Attribute::Edition(edition);
        }
        if let Some(&action) = ACTIONS.iter().find(|a| a.name() == word) {
            return Attribute::Action(action);
        }
        if word == RELEASE {
            return Attribute::Release;
        }
        if SWITCHES.contains(&word) {
            return Attribute::Switch(word);
        }
        if is_error_code(word) {
            return Attribute::ErrorCode(word);
        }
        if let Some(&role) = ROLES.iter().find(|r| r.name() == word) {
            return Attribute::Role(role);
        }
        Attribute::Unknown(word)
    }

    /// Whether it is part of how the code runs (runner, edition, mode, flags): what an exercise
    /// or a files block carries on its outer fence.
    fn is_run_setting(&self) -> bool {
        matches!(
            self,
            Attribute::Runner(_) | Attribute::Edition(_) | Attribute::Release | Attribute::Flag(_)
        )
    }
}

/// `E0499`: rustc's error codes are `E` and four digits.
fn is_error_code(word: &str) -> bool {
    word.len() == 5 && word.starts_with('E') && word[1..].bytes().all(|b| b.is_ascii_digit())
}

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

    /// Whether the attributes are run settings: a Rust block, or the outer fence of a files block
    /// (which runs as a project and takes the same attributes).
    fn takes_run_settings(&self) -> bool {
        self.is_rust() || self.language == "files"
    }

    /// A Rust block a student can run, unless the author opted out.
    pub fn runnable(&self) -> bool {
        self.is_rust() && !self.hidden_from_students()
    }

    /// `ignore` or `noplayground`: no Run button on the page.
    pub fn hidden_from_students(&self) -> bool {
        self.has("ignore") || self.has("noplayground")
    }

    pub fn editable(&self) -> bool {
        self.has("editable")
    }

    /// The value of `file=...`, for blocks inside a files block or an exercise.
    pub fn file(&self) -> Option<&str> {
        self.attributes.iter().find_map(|a| a.strip_prefix("file="))
    }

    /// The value of `id=...`: the author's name for the block.
    pub fn id(&self) -> Option<&str> {
        self.attributes.iter().find_map(|a| a.strip_prefix("id="))
    }

    pub fn role(&self) -> Option<Role> {
        self.parsed().find_map(|a| match a {
            Attribute::Role(role) => Some(role),
            _ => None,
        })
    }

    /// The error codes a `compile_fail` block expects rustc to report (`compile_fail,E0499`).
    pub fn error_codes(&self) -> Vec<String> {
        self.parsed()
            .filter_map(|a| match a {
                Attribute::ErrorCode(code) => Some(code.to_owned()),
                _ => None,
            })
            .collect()
    }

    fn parsed(&self) -> impl Iterator<Item = Attribute<'_>> {
        self.attributes.iter().map(|a| Attribute::parse(a))
    }

    /// Runner, edition, action, mode and flags, from the attributes (defaults where absent).
    /// When the attributes conflict, the first of each wins; [`CodeInfo::problems`] reports it.
    pub fn run_settings(&self) -> RunSettings {
        let mut settings = RunSettings::default();
        let (mut runner, mut edition, mut action) = (None, None, None);
        for attribute in self.parsed() {
            match attribute {
                Attribute::Runner(spec) => {
                    runner.get_or_insert_with(|| spec.id.clone());
                }
                Attribute::Edition(e) => {
                    edition.get_or_insert(e);
                }
                Attribute::Action(a) => {
                    action.get_or_insert(a);
                }
                Attribute::Release => settings.mode = Mode::Release,
                Attribute::Flag(flag) => settings.flags.push(flag),
                Attribute::MiriFlag(flag) => settings.miri_flags.push(flag.to_owned()),
                Attribute::Preemptions(n) => {
                    settings.loom_preemptions.get_or_insert(n);
                }
                _ => {}
            }
        }
        settings.runner = runner.unwrap_or_default();
        settings.edition = edition.unwrap_or_default();
        settings.action = action.unwrap_or_default();
        settings
    }

    /// What the verification command checks for this block.
    pub fn expectation(&self) -> Expectation {
        if self.has("compile_fail") {
            Expectation::FailsToCompile
        } else if self.has("no_run") {
            Expectation::Compiles
        } else if self.has("should_panic") {
            Expectation::Panics
        } else {
            match self.run_settings().action {
                Action::Test => Expectation::TestsPass,
                // Clippy's lints are warnings: the block must compile under Clippy.
                Action::Clippy => Expectation::Compiles,
                _ => Expectation::RunsCleanly,
            }
        }
    }

    /// The action verification sends: the fence's action, except that `compile_fail` and
    /// `no_run` are only compiled (`build`; under Clippy when the fence asks for `clippy`).
    pub fn check_action(&self) -> Action {
        let action = self.run_settings().action;
        match self.expectation() {
            Expectation::FailsToCompile | Expectation::Compiles if action != Action::Clippy => {
                Action::Build
            }
            _ => action,
        }
    }

    /// Everything wrong with the attributes of a block in `context`, as messages for the author.
    /// Blocks in other languages may carry only `file=` (in a files block or an exercise),
    /// exercise roles and `id=`; the rest of their attributes are theirs to define.
    pub fn problems(&self, context: Context) -> Vec<String> {
        let mut problems = Vec::new();
        // The tool decides where Miri's flags and Loom's bound belong: found once, not per word.
        let tool = runners::get(self.run_settings().runner.as_str()).map(|r| r.tool);
        for (word, attribute) in self.attributes.iter().zip(self.parsed()) {
            if let Some(problem) = self.attribute_problem(word, attribute, context, tool) {
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
        if self.takes_run_settings() && matches!(context, Context::Chapter) {
            problems.extend(self.registry_problems(self.check_action()));
        }
        problems
    }

    /// What the registry says about the runner and the actions this block needs.
    fn registry_problems(&self, check_action: Action) -> Vec<String> {
        let settings = self.run_settings();
        // Unknown runners are reported as unknown attributes; the default always exists.
        let Some(runner) = runners::get(settings.runner.as_str()) else {
            return Vec::new();
        };
        let offers = || {
            runner
                .actions
                .iter()
                .map(|a| a.name())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut problems = Vec::new();
        if !runner.offers(settings.action) {
            problems.push(format!(
                "the `{}` runner does not offer `{}` (it offers: {}); pick another action or runner",
                runner.id,
                settings.action.name(),
                offers()
            ));
        } else if !runner.offers(check_action) {
            let because = if self.has("compile_fail") {
                "compile_fail"
            } else {
                "no_run"
            };
            problems.push(format!(
                "`{because}` is checked with the `{}` action, which the `{}` runner does not offer (it offers: {})",
                check_action.name(),
                runner.id,
                offers()
            ));
        }
        problems
    }

    /// Attributes that pick different values of one setting (two runners, two editions, ...),
    /// and flags that set one option twice.
    fn conflicts(&self) -> Vec<String> {
        let mut groups: [(&str, Vec<&str>); 4] = [
            ("runners", Vec::new()),
            ("editions", Vec::new()),
            ("actions", Vec::new()),
            ("expectations", Vec::new()),
        ];
        let mut flags = Vec::new();
        for (word, attribute) in self.attributes.iter().zip(self.parsed()) {
            let group = match attribute {
                Attribute::Runner(_) => 0,
                Attribute::Edition(_) => 1,
                Attribute::Action(_) => 2,
                Attribute::Switch(s) if EXPECTATIONS.contains(&s) => 3,
                Attribute::Flag(flag) => {
                    flags.push(flag);
                    continue;
                }
                _ => continue,
            };
            if !groups[group].1.contains(&word.as_str()) {
                groups[group].1.push(word);
            }
        }
        let mut conflicts = Vec::new();
        for (what, named) in groups {
            if named.len() > 1 {
                let named: Vec<String> = named.iter().map(|n| format!("`{n}`")).collect();
                conflicts.push(format!(
                    "{} are different {what}; a block takes one",
                    named.join(" and ")
                ));
            }
        }
        if let Err(message) = check_flags(&flags) {
            conflicts.push(message);
        }
        conflicts
    }

    fn attribute_problem(
        &self,
        word: &str,
        attribute: Attribute<'_>,
        context: Context,
        tool: Option<api_types::Tool>,
    ) -> Option<String> {
        match attribute {
            Attribute::File(path) => {
                return match context {
                    // A files block marked `ignore` may show any layout; whether its files make
                    // a project is checked on the whole block.
                    Context::Files => relative_path_problem(path),
                    // Exercise files always run.
                    Context::Exercise => file_path_problem(path),
                    _ => Some(format!(
                        "`{word}` only belongs on a block inside a ````files or ````exercise block"
                    )),
                };
            }
            Attribute::Id(id) => {
                return match context {
                    Context::Chapter => id_problem(id),
                    _ => Some(format!(
                        "`{word}` belongs on a block directly in the chapter, or on the ````exercise or ````files fence"
                    )),
                };
            }
            Attribute::Role(role) => {
                return (context != Context::Exercise).then(|| {
                    format!(
                        "`{}` only belongs on a block inside an ````exercise block",
                        role.name()
                    )
                });
            }
            _ => {}
        }
        if !self.takes_run_settings() {
            return None;
        }
        match attribute {
            Attribute::Unknown(word) => Some(unknown_attribute(word)),
            Attribute::BadFlag(message) => Some(message),
            Attribute::MiriFlag(flag) if tool != Some(api_types::Tool::Miri) => Some(format!(
                "`{flag}` is a Miri flag; it belongs on a `miri` block"
            )),
            Attribute::Preemptions(_) if tool != Some(api_types::Tool::Loom) => Some(format!(
                "`{word}` is Loom's preemption bound; it belongs on a `loom` block"
            )),
            Attribute::ErrorCode(code) if !self.has("compile_fail") => Some(format!(
                "`{code}` is the error a compile_fail block expects; add `compile_fail` or remove it"
            )),
            _ if context == Context::Exercise => Some(format!(
                "`{word}` does not belong on a block inside an exercise; put the runner, edition, `release` and flags on the ````exercise fence"
            )),
            _ if context == Context::Files => Some(format!(
                "`{word}` does not belong on a file inside a files block; put it on the ````files fence"
            )),
            _ => None,
        }
    }
}

/// Checks the attributes of an ```` ````exercise ```` fence: run settings (runner, edition,
/// `release`, flags) and `id=`; the action is always `test`.
pub fn exercise_fence_problems(info: &CodeInfo) -> Vec<String> {
    let mut problems = Vec::new();
    for (word, attribute) in info.attributes.iter().zip(info.parsed()) {
        match attribute {
            Attribute::Id(id) => problems.extend(id_problem(id)),
            Attribute::BadFlag(message) => problems.push(message),
            a if a.is_run_setting() => {}
            _ => problems.push(format!(
                "an exercise fence takes only a runner ({}), an edition, `release`, flags and `id=`, not `{word}`",
                runner_names()
            )),
        }
    }
    problems.extend(info.conflicts());
    let runner = info.run_settings().runner;
    if let Some(spec) = runners::get(runner.as_str()).filter(|r| !r.offers(Action::Test)) {
        problems.push(format!(
            "exercises are graded with `test`, which the `{}` runner does not offer",
            spec.id
        ));
    }
    problems
}

/// Checks the attributes of a ```` ````files ```` fence: the same as a Rust block's, except
/// that roles and `file=` belong on the files inside it.
pub fn files_fence_problems(info: &CodeInfo) -> Vec<String> {
    info.problems(Context::Chapter)
}

fn unknown_attribute(attribute: &str) -> String {
    let normalized = attribute.to_ascii_lowercase().replace('-', "_");
    let runner_ids: Vec<&str> = runners::all().iter().map(|r| r.id.as_str()).collect();
    let all = SWITCHES
        .iter()
        .copied()
        .chain(ACTIONS.iter().map(|a| a.name()))
        .chain([RELEASE])
        .chain(runner_ids.iter().copied())
        .chain(EDITIONS.iter().map(|e| e.0));
    for name in all {
        if name.replace('-', "_") == normalized {
            return format!("unknown attribute `{attribute}`; did you mean `{name}`?");
        }
    }
    if attribute.starts_with("edition") {
        return format!(
            "unknown edition `{attribute}` (editions: {})",
            edition_names()
        );
    }
    if is_error_code(&attribute.to_ascii_uppercase()) {
        return format!(
            "unknown attribute `{attribute}`; an error code is `E` and four digits, like `E0499`"
        );
    }
    format!(
        "unknown attribute `{attribute}` on a rust block (runners: {}; editions: {}; actions: {}; mode: release; flags: {ALLOWED_FLAGS}; others: {})",
        runner_names(),
        edition_names(),
        ACTIONS
            .iter()
            .map(|a| a.name())
            .collect::<Vec<_>>()
            .join(", "),
        SWITCHES.join(", ")
    )
}

fn relative_path_problem(path: &str) -> Option<String> {
    let bad = path.is_empty()
        || path.starts_with('/')
        || path.split('/').any(|part| part.is_empty() || part == "..");
    bad.then(|| {
        format!("`file={path}` must be a relative path inside the project, like `src/lib.rs`")
    })
}

fn file_path_problem(path: &str) -> Option<String> {
    api_types::project::check_path(path)
        .err()
        .map(|e| format!("`file={path}`: {e}"))
}

/// An author's id: short, and safe in a URL and a storage key.
pub(crate) fn id_problem(id: &str) -> Option<String> {
    let fine = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    (!fine).then(|| {
        format!(
            "`id={id}` must be 1 to 64 lowercase letters, digits and dashes, like `id=borrow-twice`"
        )
    })
}

fn runner_names() -> String {
    runners::all()
        .iter()
        .map(|r| r.id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn edition_names() -> String {
    EDITIONS.iter().map(|e| e.0).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use api_types::RunnerId;
    use api_types::flags::{Lto, OptLevel, PanicStrategy};

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
    fn attributes_choose_runner_edition_action_mode_flags_and_expectation() {
        let info = CodeInfo::parse("rust,nightly,edition2021,test,release,panic=abort,lto=fat");
        assert_eq!(
            info.run_settings(),
            RunSettings {
                runner: RunnerId::new("nightly"),
                edition: Edition::E2021,
                action: Action::Test,
                mode: Mode::Release,
                flags: vec![
                    CodegenFlag::Panic(PanicStrategy::Abort),
                    CodegenFlag::Lto(Lto::Fat)
                ],
                ..RunSettings::default()
            }
        );
        assert!(info.problems(Context::Chapter).is_empty());
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
            CodeInfo::parse("rust,cortex-m").run_settings().runner,
            RunnerId::new("cortex-m")
        );
        assert_eq!(
            CodeInfo::parse(
                "rust,opt-level=3,codegen-units=1,target-cpu=native,overflow-checks=off"
            )
            .run_settings()
            .flags
            .len(),
            4
        );
    }

    #[test]
    fn clippy_blocks_must_compile_and_compile_fail_is_only_built() {
        let clippy = CodeInfo::parse("rust,clippy");
        assert_eq!(clippy.run_settings().action, Action::Clippy);
        assert_eq!(clippy.expectation(), Expectation::Compiles);
        assert_eq!(clippy.check_action(), Action::Clippy);
        assert!(clippy.problems(Context::Chapter).is_empty());
        assert_eq!(
            CodeInfo::parse("rust,compile_fail").check_action(),
            Action::Build
        );
        assert_eq!(
            CodeInfo::parse("rust,clippy,compile_fail").check_action(),
            Action::Clippy
        );
        assert_eq!(CodeInfo::parse("rust,test").check_action(), Action::Test);
    }

    #[test]
    fn error_codes_belong_to_compile_fail_blocks() {
        let info = CodeInfo::parse("rust,compile_fail,E0499,E0502");
        assert_eq!(info.error_codes(), ["E0499", "E0502"]);
        assert!(info.problems(Context::Chapter).is_empty());
        assert_eq!(
            problems("rust,E0499", Context::Chapter),
            ["`E0499` is the error a compile_fail block expects; add `compile_fail` or remove it"]
        );
        assert!(
            problems("rust,compile_fail,e0499", Context::Chapter)[0]
                .contains("an error code is `E` and four digits")
        );
    }

    #[test]
    fn runner_and_action_combinations_come_from_the_registry() {
        assert_eq!(
            problems("rust,loom", Context::Chapter),
            [
                "the `loom` runner does not offer `run` (it offers: test); pick another action or runner"
            ]
        );
        assert!(problems("rust,loom,test", Context::Chapter).is_empty());
        assert_eq!(
            problems("rust,miri,no_run", Context::Chapter),
            [
                "`no_run` is checked with the `build` action, which the `miri` runner does not offer (it offers: run, test)"
            ]
        );
        assert!(
            problems("rust,cortex-m,clippy", Context::Chapter)[0]
                .starts_with("the `cortex-m` runner does not offer `clippy`")
        );
    }

    #[test]
    fn miri_flags_and_loom_bounds_belong_to_their_runners() {
        let miri = CodeInfo::parse("rust,miri,-Zmiri-strict-provenance,-Zmiri-seed=3");
        assert_eq!(
            miri.run_settings().miri_flags,
            ["-Zmiri-strict-provenance", "-Zmiri-seed=3"]
        );
        assert!(problems("rust,miri,-Zmiri-strict-provenance", Context::Chapter).is_empty());
        assert_eq!(
            problems("rust,-Zmiri-strict-provenance", Context::Chapter),
            ["`-Zmiri-strict-provenance` is a Miri flag; it belongs on a `miri` block"]
        );
        let bad = problems("rust,miri,-Zmiri-backtrace=full", Context::Chapter);
        assert!(
            bad[0].contains("is not a Miri flag this playground accepts"),
            "{bad:?}"
        );
        let loom = CodeInfo::parse("rust,loom,test,preemptions=3");
        assert_eq!(loom.run_settings().loom_preemptions, Some(3));
        assert!(problems("rust,loom,test,preemptions=3", Context::Chapter).is_empty());
        assert!(
            problems("rust,loom,test,preemptions=9", Context::Chapter)[0]
                .contains("Loom's preemption bound is 1, 2 or 3")
        );
        assert_eq!(
            problems("rust,preemptions=2", Context::Chapter),
            ["`preemptions=2` is Loom's preemption bound; it belongs on a `loom` block"]
        );
    }

    #[test]
    fn flags_are_checked_against_the_allow_list() {
        let bad = problems("rust,linker=/bin/sh", Context::Chapter);
        assert_eq!(bad.len(), 1);
        assert!(
            bad[0].starts_with("`linker` is not an allowed flag; allowed flags: panic=abort"),
            "{bad:?}"
        );
        assert!(
            problems("rust,opt-level=9", Context::Chapter)[0]
                .contains("`opt-level=9` is not an allowed value")
        );
        assert_eq!(
            problems("rust,opt-level=1,opt-level=3", Context::Chapter),
            ["`opt-level=1` and `opt-level=3` set `opt-level` twice; give it once"]
        );
        assert_eq!(
            CodeInfo::parse("rust,opt-level=s").run_settings().flags,
            [CodegenFlag::OptLevel(OptLevel::Size)]
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
            problems("rust,cortex_m", Context::Chapter),
            ["unknown attribute `cortex_m`; did you mean `cortex-m`?"]
        );
        assert_eq!(
            problems("rust,Release", Context::Chapter),
            ["unknown attribute `Release`; did you mean `release`?"]
        );
        assert_eq!(
            problems("rust,edition2019", Context::Chapter),
            [
                "unknown edition `edition2019` (editions: edition2015, edition2018, edition2021, edition2024)"
            ]
        );
        assert!(problems("rust,beta", Context::Chapter)[0]
            .starts_with("unknown attribute `beta` on a rust block (runners: cortex-m, loom, miri, nightly, stable;"));
        assert_eq!(
            problems("rust,nightly,miri", Context::Chapter),
            ["`nightly` and `miri` are different runners; a block takes one"]
        );
        assert_eq!(
            problems("rust,starter", Context::Chapter),
            ["`starter` only belongs on a block inside an ````exercise block"]
        );
        assert!(problems("rust,starter", Context::Exercise).is_empty());
        assert!(problems("rust,starter,file=src/lib.rs", Context::Exercise).is_empty());
        assert!(
            problems("rust,tests,nightly", Context::Exercise)[0]
                .contains("on the ````exercise fence")
        );
        assert!(problems("c,file=shim.c", Context::Files).is_empty());
        assert!(
            problems("rust,file=src/main.rs,release", Context::Files)[0]
                .contains("put it on the ````files fence")
        );
        assert!(problems("c", Context::Files)[0].contains("needs `file=<path>`"));
        assert!(problems("c,file=../x.c", Context::Files)[0].contains("relative path"));
        assert!(
            problems("c,starter,file=../x.c", Context::Exercise)[0].contains("leaves the project")
        );
        assert!(problems("text,file=notes.toml", Context::Files).is_empty());
        assert!(
            problems("rust,file=src/main.rs", Context::Chapter)[0]
                .contains("only belongs on a block inside")
        );
        // Other languages' attributes are theirs to define.
        assert!(problems("toml,whatever", Context::Chapter).is_empty());
    }

    #[test]
    fn ids_are_short_plain_names_on_chapter_blocks() {
        assert!(problems("rust,id=borrow-twice", Context::Chapter).is_empty());
        assert_eq!(CodeInfo::parse("toml,id=manifest").id(), Some("manifest"));
        assert!(
            problems("rust,id=Borrow_Twice", Context::Chapter)[0].contains("lowercase letters")
        );
        assert!(problems("rust,id=", Context::Chapter)[0].contains("1 to 64"));
        assert!(
            problems("rust,starter,id=x", Context::Exercise)[0]
                .contains("on the ````exercise or ````files fence")
        );
    }

    #[test]
    fn exercise_fences_take_run_settings_and_an_id() {
        assert!(
            exercise_fence_problems(&CodeInfo::parse(
                "exercise,loom,edition2021,release,opt-level=2,id=counter"
            ))
            .is_empty()
        );
        assert!(
            exercise_fence_problems(&CodeInfo::parse("exercise,editable"))[0]
                .contains("not `editable`")
        );
        assert!(
            exercise_fence_problems(&CodeInfo::parse("exercise,loom,miri"))[0]
                .contains("different runners")
        );
        assert_eq!(
            exercise_fence_problems(&CodeInfo::parse("exercise,cortex-m")),
            ["exercises are graded with `test`, which the `cortex-m` runner does not offer"]
        );
    }

    #[test]
    fn files_fences_take_what_a_rust_block_takes() {
        let info = CodeInfo::parse("files,release,editable,id=lab,should_panic");
        assert!(files_fence_problems(&info).is_empty());
        assert_eq!(info.run_settings().mode, Mode::Release);
        assert!(
            files_fence_problems(&CodeInfo::parse("files,starter"))[0].contains("only belongs")
        );
        assert!(
            files_fence_problems(&CodeInfo::parse("files,bogus"))[0]
                .starts_with("unknown attribute `bogus`")
        );
    }
}
