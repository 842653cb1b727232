//! What the server and `rmp-job` say to each other. Std only, no dependencies: this one file is
//! compiled into the server (through the `rmp-job` library) and into the helper binary (by
//! `mod protocol;`), so the two sides cannot disagree.
//!
//! Server → helper, on the helper's standard input: the line `rmp-job/2`, a big-endian `u32`
//! length, that many bytes of an encoded [`JobSpec`], then the program's standard input.
//!
//! Helper → server, on its standard output: frames `[kind: u8][len: u32 big-endian][payload]`
//! ([`Frame`]), in this order: [`Frame::Compiler`]* ([`Frame::View`] | [`Frame::File`])*
//! [`Frame::Compiled`], then, when the job runs something, [`Frame::Running`]
//! ([`Frame::Stdout`] | [`Frame::Stderr`])* [`Frame::Exited`]. [`Frame::HelperError`] may come at
//! any point. The server trusts none of it: it keeps its own limits and removes the container.
//!
//! The job is a list of command lines ([`Step`]) the server planned; the helper only runs them, so
//! everything that decides *what* runs is on the server, in ordinary tested Rust.

use std::io::Read;

/// The first line of every job.
pub const MAGIC: &str = "rmp-job/2";
/// Where the project is written and everything runs, inside the container's tmpfs.
pub const JOB_DIR: &str = "/tmp/job";
/// The largest encoded job the helper accepts (the server's own limit on projects is far lower).
pub const MAX_JOB_BYTES: usize = 8 * 1024 * 1024;
/// The largest frame either side accepts; the helper writes at most 32 KiB at a time.
pub const MAX_FRAME: usize = 1024 * 1024;

/// Everything the helper needs for one job.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobSpec {
    /// The helper ends everything after this long, in case the server is gone.
    pub deadline_secs: u64,
    /// Per stream, bytes forwarded before the rest is dropped (one more byte says "cut").
    pub output_cap: u64,
    /// The project, written under [`JOB_DIR`] before the first step.
    pub files: Vec<(String, Vec<u8>)>,
    /// Compile steps, then run steps (from index `run_from`).
    pub steps: Vec<Step>,
    /// Index of the first step of the run phase; `steps.len()` when nothing runs.
    pub run_from: usize,
    /// Files to send back once every compile step succeeded, before [`Frame::Compiled`].
    pub send_back: Vec<SendBack>,
}

/// One command line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Step {
    pub program: String,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Relative to [`JOB_DIR`]; empty for the job directory itself.
    pub dir: String,
    pub stdout: Sink,
    pub stderr: Sink,
    /// Give this step the helper's remaining standard input (the program being run).
    pub stdin: bool,
    /// Append what earlier build scripts asked for (`-l`, `-L`, `--cfg`; their `rustc-env`
    /// variables go into the environment).
    pub build_script_args: bool,
}

/// Where a step's output goes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Sink {
    /// Discarded.
    #[default]
    Discard,
    /// Forwarded as [`Frame::Compiler`] (rustc's JSON lines, or plain text from other tools).
    Compiler,
    /// Forwarded as [`Frame::Stdout`].
    Stdout,
    /// Forwarded as [`Frame::Stderr`].
    Stderr,
    /// A build script's `cargo:` directives, read by the helper.
    Directives,
    /// Written to this file (relative to [`JOB_DIR`]), e.g. `-Zunpretty` output.
    File(String),
}

/// A file the server wants back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendBack {
    /// A compiler view's text, sent as [`Frame::View`].
    View(String),
    /// A project file (after rustfmt), sent as [`Frame::File`].
    File(String),
}

/// How a process ended, as the helper saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    /// The memory cgroup killed a process while this one ran.
    pub oom: bool,
}

impl Status {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// `exit N` or `signal N`, followed by ` oom` when the memory cgroup killed something.
    pub fn encode(&self) -> String {
        let oom = if self.oom { " oom" } else { "" };
        match (self.code, self.signal) {
            (Some(code), _) => format!("exit {code}{oom}"),
            (None, Some(signal)) => format!("signal {signal}{oom}"),
            (None, None) => format!("exit -1{oom}"),
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        let mut words = text.split_whitespace();
        let kind = words.next()?;
        let number: i32 = words.next()?.parse().ok()?;
        let oom = words.next() == Some("oom");
        match kind {
            "exit" => Some(Status {
                code: Some(number),
                signal: None,
                oom,
            }),
            "signal" => Some(Status {
                code: None,
                signal: Some(number),
                oom,
            }),
            _ => None,
        }
    }
}

/// What the helper tells the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// Compiler output (JSON lines or text, possibly split anywhere).
    Compiler(Vec<u8>),
    /// A compiler view's text (whole, up to the output cap plus one byte).
    View(Vec<u8>),
    /// A project file sent back: its path and contents.
    File(String, Vec<u8>),
    /// Every compile step is done; the status of the last one that ran.
    Compiled(Status),
    Running,
    Stdout(Vec<u8>),
    Stderr(Vec<u8>),
    Exited(Status),
    /// The helper itself failed.
    HelperError(String),
}

impl Frame {
    /// The bytes on the wire.
    pub fn encode(&self) -> Vec<u8> {
        let (kind, payload): (u8, Vec<u8>) = match self {
            Frame::Compiler(bytes) => (b'c', bytes.clone()),
            Frame::View(bytes) => (b'v', bytes.clone()),
            Frame::File(path, contents) => {
                let mut payload = path.as_bytes().to_vec();
                payload.push(0);
                payload.extend_from_slice(contents);
                (b'f', payload)
            }
            Frame::Compiled(status) => (b'k', status.encode().into_bytes()),
            Frame::Running => (b'r', Vec::new()),
            Frame::Stdout(bytes) => (b'o', bytes.clone()),
            Frame::Stderr(bytes) => (b'e', bytes.clone()),
            Frame::Exited(status) => (b'x', status.encode().into_bytes()),
            Frame::HelperError(message) => (b'!', message.as_bytes().to_vec()),
        };
        let mut bytes = Vec::with_capacity(5 + payload.len());
        bytes.push(kind);
        bytes.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        bytes.extend_from_slice(&payload);
        bytes
    }

    fn decode(kind: u8, payload: Vec<u8>) -> Result<Frame, String> {
        let status = |payload: &[u8]| {
            let text = String::from_utf8_lossy(payload);
            Status::parse(&text).ok_or_else(|| format!("a bad status `{text}`"))
        };
        Ok(match kind {
            b'c' => Frame::Compiler(payload),
            b'v' => Frame::View(payload),
            b'f' => {
                let at = payload
                    .iter()
                    .position(|b| *b == 0)
                    .ok_or("a file frame without a path")?;
                let path = String::from_utf8_lossy(&payload[..at]).into_owned();
                Frame::File(path, payload[at + 1..].to_vec())
            }
            b'k' => Frame::Compiled(status(&payload)?),
            b'r' => Frame::Running,
            b'o' => Frame::Stdout(payload),
            b'e' => Frame::Stderr(payload),
            b'x' => Frame::Exited(status(&payload)?),
            b'!' => Frame::HelperError(String::from_utf8_lossy(&payload).into_owned()),
            other => return Err(format!("an unknown frame kind {other}")),
        })
    }
}

/// Accumulates bytes and yields whole frames.
#[derive(Default)]
pub struct Decoder {
    buffer: Vec<u8>,
}

impl Decoder {
    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The next complete frame, `Ok(None)` if more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, String> {
        if self.buffer.len() < 5 {
            return Ok(None);
        }
        let kind = self.buffer[0];
        let len = u32::from_be_bytes([
            self.buffer[1],
            self.buffer[2],
            self.buffer[3],
            self.buffer[4],
        ]) as usize;
        if len > MAX_FRAME {
            return Err(format!("a frame of {len} bytes"));
        }
        if self.buffer.len() < 5 + len {
            return Ok(None);
        }
        let payload: Vec<u8> = self.buffer[5..5 + len].to_vec();
        self.buffer.drain(..5 + len);
        Frame::decode(kind, payload).map(Some)
    }
}

// ---- The job's encoding: length-prefixed fields, in declaration order. ----

struct Writer(Vec<u8>);

impl Writer {
    fn u64(&mut self, n: u64) {
        self.0.extend_from_slice(&n.to_be_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.0.extend_from_slice(&(b.len() as u32).to_be_bytes());
        self.0.extend_from_slice(b);
    }
    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    fn count(&mut self, n: usize) {
        self.0.extend_from_slice(&(n as u32).to_be_bytes());
    }
    fn flag(&mut self, b: bool) {
        self.0.push(u8::from(b));
    }
    fn sink(&mut self, sink: &Sink) {
        match sink {
            Sink::Discard => self.0.push(0),
            Sink::Compiler => self.0.push(1),
            Sink::Stdout => self.0.push(2),
            Sink::Stderr => self.0.push(3),
            Sink::Directives => self.0.push(4),
            Sink::File(path) => {
                self.0.push(5);
                self.str(path);
            }
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        if self.0.len() < n {
            return Err("the job ends early".into());
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u64(&mut self) -> Result<u64, String> {
        let b = self.take(8)?;
        Ok(u64::from_be_bytes(b.try_into().expect("8 bytes")))
    }
    fn u32(&mut self) -> Result<usize, String> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes(b.try_into().expect("4 bytes")) as usize)
    }
    fn bytes(&mut self) -> Result<Vec<u8>, String> {
        let n = self.u32()?;
        Ok(self.take(n)?.to_vec())
    }
    fn str(&mut self) -> Result<String, String> {
        String::from_utf8(self.bytes()?).map_err(|_| "a field is not UTF-8".to_owned())
    }
    fn count(&mut self) -> Result<usize, String> {
        let n = self.u32()?;
        // Every item takes at least one byte: a larger count is a corrupt job, not a big one.
        if n > self.0.len() {
            return Err(format!("a count of {n} in a job of {} bytes", self.0.len()));
        }
        Ok(n)
    }
    fn flag(&mut self) -> Result<bool, String> {
        Ok(self.take(1)?[0] != 0)
    }
    fn sink(&mut self) -> Result<Sink, String> {
        Ok(match self.take(1)?[0] {
            0 => Sink::Discard,
            1 => Sink::Compiler,
            2 => Sink::Stdout,
            3 => Sink::Stderr,
            4 => Sink::Directives,
            5 => Sink::File(self.str()?),
            other => return Err(format!("an unknown sink {other}")),
        })
    }
}

impl JobSpec {
    /// What the server writes first on the helper's standard input.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer(Vec::new());
        w.u64(self.deadline_secs);
        w.u64(self.output_cap);
        w.count(self.files.len());
        for (path, contents) in &self.files {
            w.str(path);
            w.bytes(contents);
        }
        w.count(self.steps.len());
        for step in &self.steps {
            w.str(&step.program);
            w.count(step.args.len());
            for arg in &step.args {
                w.str(arg);
            }
            w.count(step.env.len());
            for (key, value) in &step.env {
                w.str(key);
                w.str(value);
            }
            w.str(&step.dir);
            w.sink(&step.stdout);
            w.sink(&step.stderr);
            w.flag(step.stdin);
            w.flag(step.build_script_args);
        }
        w.count(self.run_from);
        w.count(self.send_back.len());
        for item in &self.send_back {
            match item {
                SendBack::View(path) => {
                    w.flag(false);
                    w.str(path);
                }
                SendBack::File(path) => {
                    w.flag(true);
                    w.str(path);
                }
            }
        }
        let body = w.0;
        let mut message = format!("{MAGIC}\n").into_bytes();
        message.extend_from_slice(&(body.len() as u32).to_be_bytes());
        message.extend_from_slice(&body);
        message
    }

    /// Reads a job written by [`JobSpec::encode`]. `Ok(None)`: the input closed before a job
    /// (a warm container being retired).
    pub fn read(input: &mut impl std::io::BufRead) -> Result<Option<JobSpec>, String> {
        let mut magic = String::new();
        input
            .read_line(&mut magic)
            .map_err(|e| format!("cannot read the job: {e}"))?;
        if magic.is_empty() {
            return Ok(None);
        }
        if magic.trim_end() != MAGIC {
            return Err(format!(
                "expected `{MAGIC}`, got {:?}: the server and the image disagree; rebuild the image",
                magic.trim_end()
            ));
        }
        let mut len = [0; 4];
        input
            .read_exact(&mut len)
            .map_err(|e| format!("cannot read the job: {e}"))?;
        let len = u32::from_be_bytes(len) as usize;
        if len > MAX_JOB_BYTES {
            return Err(format!("a job of {len} bytes"));
        }
        let mut body = vec![0; len];
        input
            .read_exact(&mut body)
            .map_err(|e| format!("cannot read the job: {e}"))?;
        JobSpec::decode(&body).map(Some)
    }

    fn decode(body: &[u8]) -> Result<JobSpec, String> {
        let mut r = Reader(body);
        let deadline_secs = r.u64()?;
        let output_cap = r.u64()?;
        let mut files = Vec::new();
        for _ in 0..r.count()? {
            files.push((r.str()?, r.bytes()?));
        }
        let mut steps = Vec::new();
        for _ in 0..r.count()? {
            let program = r.str()?;
            let mut args = Vec::new();
            for _ in 0..r.count()? {
                args.push(r.str()?);
            }
            let mut env = Vec::new();
            for _ in 0..r.count()? {
                env.push((r.str()?, r.str()?));
            }
            steps.push(Step {
                program,
                args,
                env,
                dir: r.str()?,
                stdout: r.sink()?,
                stderr: r.sink()?,
                stdin: r.flag()?,
                build_script_args: r.flag()?,
            });
        }
        let run_from = r.u32()?;
        if run_from > steps.len() {
            return Err(format!("run_from {run_from} past {} steps", steps.len()));
        }
        let mut send_back = Vec::new();
        for _ in 0..r.count()? {
            let is_file = r.flag()?;
            let path = r.str()?;
            send_back.push(if is_file {
                SendBack::File(path)
            } else {
                SendBack::View(path)
            });
        }
        if !r.0.is_empty() {
            return Err(format!("{} bytes after the job", r.0.len()));
        }
        Ok(JobSpec {
            deadline_secs,
            output_cap,
            files,
            steps,
            run_from,
            send_back,
        })
    }
}

/// What a build script asked for, from its `cargo:` / `cargo::` lines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Directives {
    /// rustc arguments for later compile steps (`-l`, `-L`, `--cfg`).
    pub args: Vec<String>,
    /// `rustc-env` variables for later compile steps.
    pub env: Vec<(String, String)>,
    /// `warning` lines, shown with the compiler's output.
    pub warnings: Vec<String>,
}

impl Directives {
    /// Reads one build script's standard output; unknown directives are ignored, as Cargo does
    /// with `rerun-if-*` (meaningless here).
    pub fn parse(stdout: &str) -> Directives {
        let mut found = Directives::default();
        for line in stdout.lines() {
            let Some(rest) = line
                .strip_prefix("cargo::")
                .or_else(|| line.strip_prefix("cargo:"))
            else {
                continue;
            };
            let Some((key, value)) = rest.split_once('=') else {
                continue;
            };
            match key {
                "rustc-link-lib" => found.args.extend(["-l".into(), value.into()]),
                "rustc-link-search" => found.args.extend(["-L".into(), value.into()]),
                "rustc-cfg" => found.args.extend(["--cfg".into(), value.into()]),
                "rustc-check-cfg" => found.args.extend(["--check-cfg".into(), value.into()]),
                "rustc-link-arg" => found
                    .args
                    .extend(["-C".into(), format!("link-arg={value}")]),
                "rustc-env" => {
                    if let Some((k, v)) = value.split_once('=') {
                        found.env.push((k.into(), v.into()));
                    }
                }
                "warning" => found.warnings.push(value.into()),
                _ => {}
            }
        }
        found
    }
}

/// Reads at most `cap` bytes from `input` into a string, dropping the rest.
pub fn read_capped(input: &mut impl Read, cap: usize) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match input.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = cap.saturating_sub(kept.len()).min(n);
                kept.extend_from_slice(&buf[..room]);
            }
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> JobSpec {
        JobSpec {
            deadline_secs: 50,
            output_cap: 1 << 20,
            files: vec![
                ("src/main.rs".into(), b"fn main() {}\n".to_vec()),
                (
                    "shim.c".into(),
                    b"int answer(void) { return 42; }\n".to_vec(),
                ),
            ],
            steps: vec![
                Step {
                    program: "rustc".into(),
                    args: vec!["--edition".into(), "2024".into(), "src/main.rs".into()],
                    env: vec![("OUT_DIR".into(), "/tmp/job/out".into())],
                    dir: String::new(),
                    stdout: Sink::File("out/view.txt".into()),
                    stderr: Sink::Compiler,
                    stdin: false,
                    build_script_args: true,
                },
                Step {
                    program: "/tmp/job/out/main".into(),
                    stdout: Sink::Stdout,
                    stderr: Sink::Stderr,
                    stdin: true,
                    ..Step::default()
                },
            ],
            run_from: 1,
            send_back: vec![
                SendBack::View("out/view.txt".into()),
                SendBack::File("src/main.rs".into()),
            ],
        }
    }

    #[test]
    fn a_job_round_trips_and_leaves_stdin_behind_it() {
        let job = sample();
        let mut stream = job.encode();
        stream.extend_from_slice(b"program input");
        let mut input = std::io::BufReader::new(&stream[..]);
        assert_eq!(JobSpec::read(&mut input).unwrap(), Some(job));
        let mut rest = String::new();
        input.read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "program input");
    }

    #[test]
    fn closed_input_is_no_job_and_garbage_is_an_error() {
        assert_eq!(JobSpec::read(&mut &b""[..]).unwrap(), None);
        let error = JobSpec::read(&mut &b"rmp-job/1 2024 debug run 3 10 10\n"[..]).unwrap_err();
        assert!(error.contains("rebuild the image"), "{error}");
        let mut truncated = sample().encode();
        truncated.truncate(truncated.len() - 3);
        assert!(JobSpec::read(&mut &truncated[..]).is_err());
        // A huge count in a tiny job is refused, not allocated.
        let mut forged = format!("{MAGIC}\n").into_bytes();
        let body = [0u8; 16]
            .iter()
            .copied()
            .chain(u32::MAX.to_be_bytes())
            .collect::<Vec<u8>>();
        forged.extend_from_slice(&(body.len() as u32).to_be_bytes());
        forged.extend_from_slice(&body);
        assert!(
            JobSpec::read(&mut &forged[..])
                .unwrap_err()
                .contains("a count")
        );
    }

    #[test]
    fn every_frame_round_trips_split_anywhere() {
        let frames = vec![
            Frame::Compiler(b"{\"$message_type\":\"diagnostic\"}\n".to_vec()),
            Frame::View(b"bb0: {\n".to_vec()),
            Frame::File("src/main.rs".into(), b"fn main() {}\n".to_vec()),
            Frame::Compiled(Status {
                code: Some(0),
                signal: None,
                oom: false,
            }),
            Frame::Running,
            Frame::Stdout(b"hello\n".to_vec()),
            Frame::Stderr(vec![0xff, 0xfe]),
            Frame::Exited(Status {
                code: None,
                signal: Some(9),
                oom: true,
            }),
            Frame::HelperError("cannot start rustc".into()),
        ];
        let stream: Vec<u8> = frames.iter().flat_map(Frame::encode).collect();
        let mut decoder = Decoder::default();
        let mut decoded = Vec::new();
        for byte in stream {
            decoder.push(&[byte]);
            while let Some(frame) = decoder.next_frame().unwrap() {
                decoded.push(frame);
            }
        }
        assert_eq!(decoded, frames);
    }

    #[test]
    fn bad_frames_are_errors_not_hangs() {
        let mut decoder = Decoder::default();
        decoder.push(&[b'z', 0, 0, 0, 0]);
        assert!(decoder.next_frame().is_err());
        let mut decoder = Decoder::default();
        decoder.push(&[b'o', 0xff, 0xff, 0xff, 0xff]);
        assert!(decoder.next_frame().is_err());
        let mut decoder = Decoder::default();
        decoder.push(&[b'x', 0, 0, 0, 4]);
        decoder.push(b"exit");
        assert!(decoder.next_frame().is_err());
        assert_eq!(Status::parse("exit 101").unwrap().code, Some(101));
        assert_eq!(
            Status::parse("signal 9 oom").unwrap().encode(),
            "signal 9 oom"
        );
    }

    #[test]
    fn build_script_directives_in_both_spellings() {
        let found = Directives::parse(
            "cargo:rustc-link-lib=static=shim\n\
             cargo::rustc-link-search=native=/tmp/job/out/main/out\n\
             cargo:rerun-if-changed=shim.c\n\
             cargo:rustc-cfg=has_shim\n\
             cargo::rustc-env=ANSWER=42\n\
             cargo::warning=compiling the shim\n\
             not a directive\n",
        );
        assert_eq!(
            found.args,
            [
                "-l",
                "static=shim",
                "-L",
                "native=/tmp/job/out/main/out",
                "--cfg",
                "has_shim"
            ]
        );
        assert_eq!(found.env, [("ANSWER".to_owned(), "42".to_owned())]);
        assert_eq!(found.warnings, ["compiling the shim"]);
    }
}
