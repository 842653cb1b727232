//! `rmp-verify`: verifies the content directory through the real sandbox. `cargo xtask
//! verify-content` makes sure dockerd runs and the runner image is built, then runs this.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use api_types::RunnerId;
use content_verify::report::{failure_line, progress_line};
use content_verify::{Cache, ImageIds, Summary, cache, plan_chapters, run_checks};
use course::{Block, Chapter, Library};
use sandbox::{DockerConfig, DockerSandbox, Sandbox};

const USAGE: &str = "\
usage: rmp-verify [--content DIR] [--chapter SLUG]... [--jobs N] [--no-cache] [--verbose] [--ids]

Parses every chapter (format errors are reported as file:line: message), runs every runnable block
and every exercise through the sandbox, and checks each against what its fence promises.

  --content DIR  the content directory (default: content)
  --chapter SLUG only this chapter (its file name without `.md`); may be given several times
  --jobs N       checks run at once (default: the number of CPUs)
  --no-cache     run every check, even those that passed before unchanged
                 (passes are still recorded in $RMP_CACHE_DIR/verify-cache.json)
  --verbose      a line per check as it finishes, and where each block that is not run is
  --ids          print each block's id (`file:line: id`, what readers' saved edits are kept
                 under; pin it with `id=` before changing an editable block) and run nothing

Exit status: 0 when everything passed (checks for runners that are not installed are listed as
skipped), 1 otherwise.
";

struct Args {
    content: PathBuf,
    /// Empty: every chapter.
    chapters: Vec<String>,
    jobs: usize,
    no_cache: bool,
    verbose: bool,
    ids: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        content: PathBuf::from("content"),
        chapters: Vec::new(),
        jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
        no_cache: false,
        verbose: false,
        ids: false,
    };
    let mut given = std::env::args().skip(1);
    while let Some(arg) = given.next() {
        let mut value = |name: &str| given.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--content" => args.content = value("--content")?.into(),
            "--chapter" => args.chapters.push(value("--chapter")?),
            "--jobs" | "-j" => {
                let jobs = value("--jobs")?;
                args.jobs = jobs
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or(format!("--jobs `{jobs}`: expected a positive number"))?;
            }
            "--no-cache" => args.no_cache = true,
            "--verbose" | "-v" => args.verbose = true,
            "--ids" => args.ids = true,
            "--help" | "-h" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) if message.is_empty() => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime");
    runtime.block_on(verify(args))
}

async fn verify(args: Args) -> ExitCode {
    let started = Instant::now();
    let library = match Library::load(&args.content) {
        Ok(library) => library,
        Err(error) => {
            println!("{error}");
            println!("content verification FAILED: the content does not load");
            return ExitCode::FAILURE;
        }
    };
    if let Some(unknown) = args
        .chapters
        .iter()
        .find(|slug| library.chapter(slug).is_none())
    {
        let known: Vec<&str> = library.chapters().map(|(_, c)| c.slug.as_str()).collect();
        println!(
            "error: no chapter `{unknown}` in {} (chapters: {})",
            args.content.display(),
            known.join(", ")
        );
        return ExitCode::FAILURE;
    }
    let wanted =
        |chapter: &Chapter| args.chapters.is_empty() || args.chapters.contains(&chapter.slug);
    if args.ids {
        for (_, chapter) in library.chapters().filter(|(_, c)| wanted(c)) {
            for (line, id) in chapter.blocks.iter().filter_map(block_id) {
                println!("{}:{line}: {id}", chapter.path.display());
            }
        }
        return ExitCode::SUCCESS;
    }
    let plan = plan_chapters(&library, wanted);
    for error in &plan.format_errors {
        println!("{error}");
    }

    let mut cache = if args.no_cache {
        Cache::empty(cache::default_path())
    } else {
        Cache::load(cache::default_path())
    };
    if let Some(warning) = &cache.warning {
        eprintln!("warning: {warning}");
    }

    let mut results = Vec::new();
    if !plan.checks.is_empty() {
        let mut config = DockerConfig {
            warm_pool: args.jobs,
            ..DockerConfig::default()
        };
        // Each runner's image is the registry's unless `RMP_RUNNER_IMAGE_<ID>` names another
        // (`RMP_RUNNER_IMAGE_CORTEX_M` for `cortex-m`), as for the server.
        for (runner, image) in &mut config.images {
            if let Ok(named) = std::env::var(image_variable(runner)) {
                *image = named;
            }
        }
        let sandbox = match DockerSandbox::connect(config).await {
            Ok(sandbox) => sandbox,
            Err(error) => {
                println!(
                    "error: cannot verify the examples: {error}\n(`cargo xtask verify-content` starts dockerd and builds the runner image)"
                );
                return ExitCode::FAILURE;
            }
        };
        let mut images = ImageIds::new();
        for runner in runners::all() {
            if let Some(id) = sandbox.image_id(&runner.id).await {
                images.insert(runner.id.clone(), id);
            }
        }
        let total = plan.checks.len();
        let show_progress = !args.verbose && std::io::stderr().is_terminal();
        let mut done = 0;
        let run = run_checks(
            &plan.checks,
            &sandbox,
            &images,
            &mut cache,
            args.jobs,
            |check, result| {
                done += 1;
                if let (Some(why), false) = (&result.retried, args.verbose) {
                    eprintln!(
                        "\rwarning: {}: the sandbox failed ({why}); the check was run again",
                        check.location
                    );
                }
                if args.verbose {
                    println!("{}", progress_line(check, result));
                } else if show_progress {
                    eprint!("\r  verifying: {done}/{total}");
                    let _ = std::io::stderr().flush();
                }
            },
        );
        let finished = tokio::select! {
            results = run => Some(results),
            _ = tokio::signal::ctrl_c() => None,
        };
        if show_progress {
            eprint!("\r{:30}\r", "");
        }
        // Also after Ctrl-C: the dropped runs' containers are removed here.
        sandbox.shutdown().await;
        match finished {
            Some(done) => results = done,
            None => {
                eprintln!("interrupted; the containers were removed");
                return ExitCode::from(130);
            }
        }
    }
    if let Err(error) = cache.save() {
        eprintln!(
            "warning: cannot save the verification cache {}: {error}",
            cache.path().display()
        );
    }

    let failures: Vec<String> = plan
        .checks
        .iter()
        .zip(&results)
        .filter_map(|(check, result)| failure_line(check, result))
        .collect();
    if !failures.is_empty() {
        if !plan.format_errors.is_empty() {
            println!();
        }
        for failure in &failures {
            println!("{failure}");
        }
    }
    let mut summary = Summary::new(&plan, &results, started.elapsed());
    summary.verbose = args.verbose;
    if !plan.format_errors.is_empty() || !failures.is_empty() {
        println!();
    }
    println!("{summary}");
    if summary.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The fence line and id of a block that has one (code, exercise, files).
fn block_id(block: &Block) -> Option<(usize, &str)> {
    match block {
        Block::Code(code) => Some((code.line, &code.id)),
        Block::Exercise(exercise) => Some((exercise.line, &exercise.id)),
        Block::Files(files) => Some((files.line, &files.id)),
        _ => None,
    }
}

/// `RMP_RUNNER_IMAGE_CORTEX_M` for the `cortex-m` runner.
fn image_variable(runner: &RunnerId) -> String {
    format!(
        "RMP_RUNNER_IMAGE_{}",
        runner.as_str().to_ascii_uppercase().replace('-', "_")
    )
}
