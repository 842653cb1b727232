//! The new actions and projects against a real dockerd and the real stable and nightly images.
//!
//! Ignored by a plain `cargo test`; `cargo xtask test` builds the images and runs them with
//! `--ignored`. Run by hand without Docker or the images they fail, saying why.

use api_types::{Action, CompilerView, ExecuteRequest, Level, Mode, Outcome, RunnerId, TestStatus};
use sandbox::{DockerConfig, DockerSandbox, Report};

mod common;
use common::{finish, job, run};

/// A sandbox without warm containers, with the default run limit (debug loops take a while).
async fn connect() -> DockerSandbox {
    common::connect_with(0, sandbox::Limits::default().run_timeout).await
}

/// A request on the default (stable) runner.
fn request(files: &[(&str, &str)], action: Action) -> ExecuteRequest {
    common::request(RunnerId::STABLE, files, action)
}

fn view_text(report: &Report) -> &str {
    &report
        .result
        .view
        .as_ref()
        .unwrap_or_else(|| panic!("no view: {report:?}"))
        .text
}

const ANSWER: &str = "fn answer(x: u32) -> u32 {\n    x * 2 + 1\n}\n\nfn main() {\n    println!(\"{}\", answer(std::env::args().count() as u32));\n}\n";

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner images: cargo xtask test runs it"]
async fn compiler_views() {
    let sandbox = connect().await;
    let main = [("src/main.rs", ANSWER)];

    let mir = run(
        &sandbox,
        job(request(&main, Action::View(CompilerView::Mir))),
    )
    .await;
    assert_eq!(mir.result.outcome, Outcome::Success, "{}", mir.compiler);
    assert!(view_text(&mir).contains("bb0"), "{}", view_text(&mir));
    assert!(
        view_text(&mir).contains("fn answer("),
        "{}",
        view_text(&mir)
    );
    // MIR comes from nightly, whose spans map statements to lines; `x * 2 + 1` is line 2.
    let map = &mir.result.view.as_ref().unwrap().source_map;
    assert!(
        map.iter()
            .any(|m| m.file == "src/main.rs" && m.source_line == 2),
        "{map:?}"
    );
    assert!(!view_text(&mir).contains("// scope"), "{}", view_text(&mir));

    let asm = run(
        &sandbox,
        job(request(&main, Action::View(CompilerView::AsmIntel))),
    )
    .await;
    let text = view_text(&asm);
    assert!(text.contains("main::answer:"), "{text}");
    assert!(!text.contains(".loc"), "directives are removed: {text}");
    let map = &asm.result.view.as_ref().unwrap().source_map;
    assert!(
        map.iter()
            .any(|m| m.file == "src/main.rs" && m.source_line == 2),
        "line 2 (`x * 2 + 1`) maps to instructions: {map:?}"
    );

    let att = run(
        &sandbox,
        job(request(&main, Action::View(CompilerView::AsmAtt))),
    )
    .await;
    assert!(view_text(&att).contains('%'), "AT&T names registers with %");

    let ir = run(
        &sandbox,
        job(request(&main, Action::View(CompilerView::LlvmIr))),
    )
    .await;
    assert!(view_text(&ir).contains("define "), "{}", view_text(&ir));

    // Nightly-only views: routed to the nightly runner by the request check.
    let expand = job(request(&main, Action::View(CompilerView::Expanded)));
    assert_eq!(expand.runner.as_str(), "nightly");
    let expanded = run(&sandbox, expand).await;
    assert_eq!(
        expanded.result.outcome,
        Outcome::Success,
        "{}",
        expanded.compiler
    );
    let text = view_text(&expanded);
    assert!(
        text.contains("format_args!") || text.contains("_print"),
        "println! is expanded: {text}"
    );
    assert!(!text.contains("println!"), "{text}");

    let hir = run(
        &sandbox,
        job(request(&main, Action::View(CompilerView::Hir))),
    )
    .await;
    assert!(view_text(&hir).contains("fn answer"), "{}", view_text(&hir));

    let layout_code = "#[allow(dead_code)]\nstruct Pair { a: u8, b: u64 }\nfn main() { let p = Pair { a: 1, b: 2 }; println!(\"{}\", std::mem::size_of_val(&p)); }\n";
    let layout = run(
        &sandbox,
        job(request(
            &[("src/main.rs", layout_code)],
            Action::View(CompilerView::TypeLayout),
        )),
    )
    .await;
    assert!(
        view_text(&layout).contains("type: `Pair`: 16 bytes"),
        "{}",
        view_text(&layout)
    );
    finish(sandbox).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner images: cargo xtask test runs it"]
async fn clippy_and_rustfmt() {
    let sandbox = connect().await;
    let lint = "fn main() {\n    let v = vec![1, 2, 3];\n    for i in 0..v.len() {\n        println!(\"{}\", v[i]);\n    }\n}\n";
    let report = run(
        &sandbox,
        job(request(&[("src/main.rs", lint)], Action::Clippy)),
    )
    .await;
    assert_eq!(
        report.result.outcome,
        Outcome::Success,
        "{}",
        report.compiler
    );
    let found = report
        .result
        .diagnostics
        .iter()
        .find(|d| d.code.as_deref() == Some("clippy::needless_range_loop"))
        .unwrap_or_else(|| panic!("no needless_range_loop: {}", report.compiler));
    assert_eq!(found.level, Level::Warning);
    assert_eq!(found.spans[0].line_start, 3, "{found:?}");
    assert!(found.code_url().unwrap().ends_with("#needless_range_loop"));
    // `vec!` where an array would do is a second lint: both are counted in the explanation.
    let lints: Vec<&str> = report
        .result
        .diagnostics
        .iter()
        .filter_map(|d| d.code.as_deref().filter(|c| c.starts_with("clippy::")))
        .collect();
    assert_eq!(
        lints,
        ["clippy::needless_range_loop", "clippy::useless_vec"],
        "{}",
        report.compiler
    );
    assert!(
        report
            .result
            .explanation
            .starts_with("Clippy has 2 suggestions"),
        "{}",
        report.result.explanation
    );

    let squashed = "fn main(){let x=1;if x>0{println!(\"{}\",x)}}";
    let report = run(
        &sandbox,
        job(request(&[("src/main.rs", squashed)], Action::Fmt)),
    )
    .await;
    assert_eq!(
        report.result.outcome,
        Outcome::Success,
        "{}",
        report.compiler
    );
    assert_eq!(report.result.files.len(), 1);
    assert_eq!(
        report.result.files[0].contents,
        "fn main() {\n    let x = 1;\n    if x > 0 {\n        println!(\"{}\", x)\n    }\n}\n"
    );

    let broken = "fn main() { let x = ; }";
    let report = run(
        &sandbox,
        job(request(&[("src/main.rs", broken)], Action::Fmt)),
    )
    .await;
    assert_eq!(report.result.outcome, Outcome::CompileError);
    assert!(
        report.result.files.is_empty(),
        "nothing comes back to overwrite the code"
    );
    assert!(
        report.compiler.contains("expected expression"),
        "{}",
        report.compiler
    );
    assert!(report.result.explanation.contains("nothing was changed"));
    finish(sandbox).await;
}

const DERIVE_MACRO: &str = r#"use proc_macro::TokenStream;
use quote::quote;
use syn::{DeriveInput, parse_macro_input};

#[proc_macro_derive(Describe)]
pub fn describe(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    let name = &input.ident;
    let text = name.to_string();
    quote! {
        impl #name {
            pub fn describe() -> &'static str { #text }
        }
    }
    .into()
}
"#;

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner images: cargo xtask test runs it"]
async fn projects_with_a_proc_macro_and_with_c_through_a_build_script() {
    let sandbox = connect().await;
    let files = [
        (
            "Cargo.toml",
            "[package]\nname = \"shapes\"\nedition = \"2024\"\n\n[dependencies]\ndescribe = { path = \"describe\" }\n",
        ),
        (
            "src/main.rs",
            "use describe::Describe;\n\n#[derive(Describe)]\nstruct Circle;\n\nfn main() {\n    println!(\"I am a {}\", Circle::describe());\n}\n",
        ),
        (
            "describe/Cargo.toml",
            "[package]\nname = \"describe\"\nedition = \"2024\"\n\n[lib]\nproc-macro = true\n\n[dependencies]\nsyn = \"2\"\nquote = \"1\"\nproc-macro2 = \"1\"\n",
        ),
        ("describe/src/lib.rs", DERIVE_MACRO),
    ];
    let report = run(&sandbox, job(request(&files, Action::Run))).await;
    assert_eq!(
        report.result.outcome,
        Outcome::Success,
        "{}",
        report.compiler
    );
    assert_eq!(report.stdout, "I am a Circle\n");

    let files = [
        (
            "Cargo.toml",
            "[package]\nname = \"ffi\"\nedition = \"2024\"\n\n[build-dependencies]\ncc = \"1\"\n",
        ),
        (
            "build.rs",
            "fn main() {\n    cc::Build::new().file(\"shim.c\").compile(\"shim\");\n}\n",
        ),
        ("shim.c", "int triple(int x) { return 3 * x; }\n"),
        (
            "src/main.rs",
            "unsafe extern \"C\" {\n    fn triple(x: i32) -> i32;\n}\n\nfn main() {\n    println!(\"{}\", unsafe { triple(14) });\n}\n",
        ),
    ];
    let report = run(&sandbox, job(request(&files, Action::Run))).await;
    assert_eq!(
        report.result.outcome,
        Outcome::Success,
        "{}",
        report.compiler
    );
    assert_eq!(report.stdout, "42\n");

    // Generated code, the way Cargo projects do it: the script writes into OUT_DIR and the crate
    // includes it through `env!("OUT_DIR")`.
    let files = [
        (
            "Cargo.toml",
            "[package]\nname = \"table\"\nedition = \"2024\"\n",
        ),
        (
            "build.rs",
            "fn main() {\n    let out = std::env::var(\"OUT_DIR\").unwrap();\n    std::fs::write(format!(\"{out}/squares.rs\"), \"pub const SQUARES: [u32; 4] = [0, 1, 4, 9];\").unwrap();\n}\n",
        ),
        (
            "src/main.rs",
            "include!(concat!(env!(\"OUT_DIR\"), \"/squares.rs\"));\n\nfn main() {\n    println!(\"{} {:?}\", env!(\"CARGO_PKG_NAME\"), SQUARES);\n}\n",
        ),
    ];
    let report = run(&sandbox, job(request(&files, Action::Run))).await;
    assert_eq!(report.stdout, "table [0, 1, 4, 9]\n", "{}", report.compiler);

    // Several modules.
    let files = [
        (
            "src/main.rs",
            "mod geometry;\n\nfn main() {\n    println!(\"{}\", geometry::area(2.0));\n}\n",
        ),
        (
            "src/geometry.rs",
            "pub mod consts;\n\npub fn area(r: f64) -> f64 {\n    consts::PI_ISH * r * r\n}\n",
        ),
        ("src/geometry/consts.rs", "pub const PI_ISH: f64 = 3.0;\n"),
    ];
    let report = run(&sandbox, job(request(&files, Action::Run))).await;
    assert_eq!(report.stdout, "12\n", "{}", report.compiler);

    // A compile error in a module is reported in that file.
    let files = [
        (
            "src/main.rs",
            "mod geometry;\nfn main() { geometry::area(); }\n",
        ),
        (
            "src/geometry.rs",
            "pub fn area() -> u32 {\n    \"not a number\"\n}\n",
        ),
    ];
    let report = run(&sandbox, job(request(&files, Action::Run))).await;
    assert_eq!(report.result.outcome, Outcome::CompileError);
    let span = &report.result.diagnostics[0].spans[0];
    assert_eq!(
        (span.file.as_str(), span.line_start),
        ("src/geometry.rs", 2)
    );
    finish(sandbox).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner images: cargo xtask test runs it"]
async fn a_two_file_exercise_is_graded() {
    let sandbox = connect().await;
    let tests = "use grades::letter;\n\n#[test]\nfn top() {\n    assert_eq!(letter(95), 'A');\n}\n\n#[test]\nfn bottom() {\n    assert_eq!(letter(10), 'F');\n}\n";
    let starter =
        "pub fn letter(score: u32) -> char {\n    if score >= 90 { 'A' } else { 'B' }\n}\n";
    let solution = "pub fn letter(score: u32) -> char {\n    match score {\n        90.. => 'A',\n        50..=89 => 'C',\n        _ => 'F',\n    }\n}\n";
    let manifest = "[package]\nname = \"grades\"\n";
    let graded = |code: &'static str| {
        job(request(
            &[
                ("Cargo.toml", manifest),
                ("src/lib.rs", code),
                ("tests/grade.rs", tests),
            ],
            Action::Test,
        ))
    };
    let report = run(&sandbox, graded(starter)).await;
    assert_eq!(
        report.result.outcome,
        Outcome::ExitFailure { exit_code: 101 }
    );
    let results: Vec<(&str, TestStatus)> = report
        .result
        .tests
        .iter()
        .map(|t| (t.name.as_str(), t.status))
        .collect();
    assert_eq!(
        results,
        [("bottom", TestStatus::Failed), ("top", TestStatus::Passed)]
    );
    let report = run(&sandbox, graded(solution)).await;
    assert_eq!(
        report.result.outcome,
        Outcome::Success,
        "{}{}",
        report.compiler,
        report.stdout
    );
    assert_eq!(report.result.tests.len(), 2);
    finish(sandbox).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner images: cargo xtask test runs it"]
async fn release_mode_is_faster_on_a_loop() {
    let sandbox = connect().await;
    let code = "fn main() {\n    let mut x: u64 = 1;\n    for i in 0..200_000_000u64 {\n        x = x.wrapping_mul(6364136223846793005).wrapping_add(i ^ (x >> 7));\n    }\n    println!(\"{}\", x % 10);\n}\n";
    let mut timed = Vec::new();
    for mode in [Mode::Debug, Mode::Release] {
        let request = ExecuteRequest {
            mode,
            ..ExecuteRequest::run(code)
        };
        let report = run(&sandbox, job(request)).await;
        assert_eq!(
            report.result.outcome,
            Outcome::Success,
            "{mode:?}: {report:?}"
        );
        timed.push((report.stdout.clone(), report.result.timings.run_ms));
    }
    assert_eq!(timed[0].0, timed[1].0, "same answer");
    println!("debug run {} ms, release run {} ms", timed[0].1, timed[1].1);
    assert!(
        timed[1].1 * 3 < timed[0].1,
        "release at least 3x faster: {timed:?}"
    );
    finish(sandbox).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner images: cargo xtask test runs it"]
async fn a_hostile_build_script_is_contained() {
    let sandbox = connect().await;
    let script = r#"use std::io::Write;
fn main() {
    let net = std::net::TcpStream::connect("1.1.1.1:443").map(|_| ()).map_err(|e| e.to_string());
    let host = std::fs::read_to_string("/etc/shadow").map(|_| ()).map_err(|e| e.to_string());
    let escape = std::fs::File::create("/opt/rmp/planted").map(|_| ()).map_err(|e| e.to_string());
    println!("cargo::rustc-env=NET={net:?}");
    println!("cargo::rustc-env=HOST={host:?}");
    println!("cargo::rustc-env=ESCAPE={escape:?}");
    std::io::stdout().flush().unwrap();
}
"#;
    let files = [
        ("Cargo.toml", "[package]\nname = \"sneaky\"\n"),
        ("build.rs", script),
        (
            "src/main.rs",
            "fn main() {\n    println!(\"{}\\n{}\\n{}\", env!(\"NET\"), env!(\"HOST\"), env!(\"ESCAPE\"));\n}\n",
        ),
    ];
    let report = run(&sandbox, job(request(&files, Action::Run))).await;
    assert_eq!(
        report.result.outcome,
        Outcome::Success,
        "{}",
        report.compiler
    );
    let lines: Vec<&str> = report.stdout.lines().collect();
    assert!(
        lines[0].starts_with("Err("),
        "no network: {}",
        report.stdout
    );
    assert!(
        lines[1].starts_with("Err("),
        "no host secrets: {}",
        report.stdout
    );
    assert!(
        lines[2].contains("Read-only file system"),
        "read-only image: {}",
        report.stdout
    );

    // A build script that never ends is stopped at the compile limit and explained.
    let files = [
        ("Cargo.toml", "[package]\nname = \"stuck\"\n"),
        (
            "build.rs",
            "fn main() { loop { std::hint::spin_loop(); } }\n",
        ),
        ("src/main.rs", "fn main() {}\n"),
    ];
    let mut stuck = job(request(&files, Action::Run));
    stuck.flags.clear();
    let short = DockerSandbox::connect(DockerConfig {
        warm_pool: 0,
        limits: sandbox::Limits {
            compile_timeout: std::time::Duration::from_secs(5),
            ..sandbox::Limits::default()
        },
        ..DockerConfig::default()
    })
    .await
    .unwrap();
    let report = run(&short, stuck).await;
    assert!(
        matches!(report.result.outcome, Outcome::TimedOut { .. }),
        "{report:?}"
    );
    assert!(
        report
            .result
            .explanation
            .contains("Compiling your code took longer than 5 s")
    );
    finish(short).await;
    finish(sandbox).await;
}
