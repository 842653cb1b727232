//! The helper binary run natively on a job, as the server would send it. The container adds the
//! isolation; what is tested here is the protocol and the order of the steps.
//! (Run by root, the helper never signals other processes: see `end_everything_else`.)

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};

use rmp_job::protocol::{Decoder, Frame, JobSpec, SendBack, Sink, Step};

/// Starts the helper with `args`, the project in `dir`, and feeds it `job` then `stdin`, closing
/// its standard input; its standard output is left to read.
fn start(args: &[&str], dir: &std::path::Path, job: &JobSpec, stdin: &[u8]) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rmp-job"))
        .args(args)
        .env("RMP_JOB_DIR", dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(&job.encode()).unwrap();
    input.write_all(stdin).unwrap();
    drop(input);
    child
}

fn run(job: &JobSpec, stdin: &[u8]) -> Vec<Frame> {
    let dir = std::env::temp_dir().join(format!("rmp-job-test-{}", std::process::id()));
    let dir = dir.join(format!("{:x}", rand_suffix()));
    let mut child = start(&["60"], &dir, job, stdin);
    let mut bytes = Vec::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    child.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let mut decoder = Decoder::default();
    decoder.push(&bytes);
    let mut frames: Vec<Frame> = Vec::new();
    while let Some(frame) = decoder.next_frame().unwrap() {
        // Output arrives in chunks as the pipes deliver it: join neighbours of one stream.
        match (frames.last_mut(), frame) {
            (Some(Frame::Stdout(a)), Frame::Stdout(b))
            | (Some(Frame::Stderr(a)), Frame::Stderr(b))
            | (Some(Frame::Compiler(a)), Frame::Compiler(b)) => a.extend(b),
            (_, frame) => frames.push(frame),
        }
    }
    frames
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn sh(script: &str, stdout: Sink, stderr: Sink) -> Step {
    Step {
        program: "sh".into(),
        args: vec!["-c".into(), script.into()],
        stdout,
        stderr,
        ..Step::default()
    }
}

#[test]
fn compile_steps_then_the_program_with_its_stdin() {
    let job = JobSpec {
        deadline_secs: 60,
        output_cap: 1024,
        files: vec![("src/data.txt".into(), b"hello".to_vec())],
        steps: vec![
            sh(
                "echo compiling >&2; cat src/data.txt > out.txt",
                Sink::Discard,
                Sink::Compiler,
            ),
            Step {
                stdin: true,
                ..sh(
                    "cat out.txt; echo; cat; echo oops >&2; exit 3",
                    Sink::Stdout,
                    Sink::Stderr,
                )
            },
        ],
        run_from: 1,
        send_back: vec![SendBack::View("out.txt".into())],
    };
    let frames = run(&job, b"typed input");
    let ok = rmp_job::protocol::Status::parse("exit 0").unwrap();
    let failed = rmp_job::protocol::Status::parse("exit 3").unwrap();
    // The program's two streams are read by two threads, so only their order within each stream
    // is fixed: compare the rest of the frames, then each stream.
    let (output, protocol): (Vec<&Frame>, Vec<&Frame>) = frames
        .iter()
        .partition(|f| matches!(f, Frame::Stdout(_) | Frame::Stderr(_)));
    assert_eq!(
        protocol,
        [
            &Frame::Compiler(b"compiling\n".to_vec()),
            &Frame::View(b"hello".to_vec()),
            &Frame::Compiled(ok),
            &Frame::Running,
            &Frame::Exited(failed),
        ]
    );
    let stream = |want: fn(&Frame) -> Option<&Vec<u8>>| -> Vec<u8> {
        output
            .iter()
            .filter_map(|f| want(f))
            .flatten()
            .copied()
            .collect()
    };
    let stdout = stream(|f| {
        if let Frame::Stdout(b) = f {
            Some(b)
        } else {
            None
        }
    });
    let stderr = stream(|f| {
        if let Frame::Stderr(b) = f {
            Some(b)
        } else {
            None
        }
    });
    assert_eq!(String::from_utf8(stdout).unwrap(), "hello\ntyped input");
    assert_eq!(String::from_utf8(stderr).unwrap(), "oops\n");
}

#[test]
fn a_failing_compile_step_stops_the_job() {
    let job = JobSpec {
        deadline_secs: 60,
        output_cap: 1024,
        files: vec![],
        steps: vec![
            sh("exit 1", Sink::Discard, Sink::Discard),
            sh("echo never", Sink::Compiler, Sink::Discard),
            sh("echo never", Sink::Stdout, Sink::Discard),
        ],
        run_from: 2,
        send_back: vec![],
    };
    let frames = run(&job, b"");
    assert_eq!(
        frames,
        [Frame::Compiled(
            rmp_job::protocol::Status::parse("exit 1").unwrap()
        )]
    );
}

#[test]
fn build_script_directives_reach_later_steps_and_output_is_capped() {
    let job = JobSpec {
        deadline_secs: 60,
        output_cap: 40,
        files: vec![],
        steps: vec![
            sh(
                "echo cargo:rustc-cfg=has_shim; echo cargo::warning=built; echo cargo::rustc-env=ANSWER=42",
                Sink::Directives,
                Sink::Discard,
            ),
            Step {
                build_script_args: true,
                ..sh(r#"echo "$0 $1 $ANSWER" >&2"#, Sink::Discard, Sink::Compiler)
            },
            sh("printf %050d 7", Sink::Stdout, Sink::Discard),
        ],
        run_from: 2,
        send_back: vec![],
    };
    let frames = run(&job, b"");
    // `sh -c script --cfg has_shim`: $0 and $1 are the appended arguments.
    assert_eq!(
        frames[0],
        Frame::Compiler(b"warning: built\n--cfg has_shim 42\n".to_vec())
    );
    // 41 bytes: the cap and one more, which tells the server the output was cut.
    let stdout: Vec<u8> = frames
        .iter()
        .filter_map(|f| match f {
            Frame::Stdout(b) => Some(b.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(stdout, [b'0'; 41]);
}

#[test]
fn paths_outside_the_job_are_refused() {
    let job = JobSpec {
        deadline_secs: 60,
        output_cap: 1024,
        files: vec![("../escape.rs".into(), b"x".to_vec())],
        ..JobSpec::default()
    };
    let frames = run(&job, b"");
    assert!(
        matches!(&frames[..], [Frame::HelperError(m)] if m.contains("refusing the path")),
        "{frames:?}"
    );
    let read = JobSpec::read(&mut &job.encode()[..]).unwrap().unwrap();
    assert_eq!(read, job);
}

/// A job whose program prints `hi`.
fn hello_job() -> JobSpec {
    JobSpec {
        deadline_secs: 60,
        output_cap: 1024,
        files: vec![],
        steps: vec![sh("echo hi", Sink::Stdout, Sink::Discard)],
        run_from: 0,
        send_back: vec![],
    }
}

#[test]
fn a_parking_helper_reports_the_job_then_waits_to_be_removed() {
    let dir = std::env::temp_dir().join(format!("rmp-job-park-{:x}", rand_suffix()));
    let mut child = start(&["2", "--park"], &dir, &hello_job(), b"");
    // Read frames until the job's last one, as the server does.
    let mut stdout = child.stdout.take().unwrap();
    let mut decoder = Decoder::default();
    let mut buffer = [0u8; 4096];
    let mut exited = None;
    while exited.is_none() {
        let n = stdout.read(&mut buffer).unwrap();
        assert!(n > 0, "the helper ended before reporting the job");
        decoder.push(&buffer[..n]);
        while let Some(frame) = decoder.next_frame().unwrap() {
            if let Frame::Exited(status) = frame {
                exited = Some(status);
            }
        }
    }
    assert!(exited.unwrap().success());
    // Parked: still there after reporting...
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "a parking helper exited right after its job"
    );
    // ...until its idle time is up, should nobody remove its container.
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unknown_option_is_a_helper_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_rmp-job"))
        .args(["60", "--bogus"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let mut decoder = Decoder::default();
    decoder.push(&output.stdout);
    let frame = decoder.next_frame().unwrap();
    assert!(
        matches!(&frame, Some(Frame::HelperError(message)) if message.contains("--bogus")),
        "{frame:?}"
    );
    assert!(!output.status.success());
}
