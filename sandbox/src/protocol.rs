//! The frames `rmp-job` (runner-images/stable/rmp-job.rs) writes on its standard output:
//! `[kind: u8][len: u32 big-endian][payload]`.

/// The largest frame the helper writes is 32 KiB; anything far larger means a broken stream.
const MAX_FRAME: usize = 1024 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// Compiler output (JSON lines, possibly split anywhere).
    Compiler(Vec<u8>),
    Compiled(Status),
    Running,
    Stdout(Vec<u8>),
    Stderr(Vec<u8>),
    Exited(Status),
    /// The helper itself failed.
    HelperError(String),
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

    /// Parses `exit N` or `signal N`, optionally followed by ` oom`.
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
        let text = || String::from_utf8_lossy(&payload).into_owned();
        let status = |payload: &[u8]| {
            Status::parse(&String::from_utf8_lossy(payload))
                .ok_or_else(|| format!("a bad status `{}`", String::from_utf8_lossy(payload)))
        };
        Ok(Some(match kind {
            b'c' => Frame::Compiler(payload),
            b'k' => Frame::Compiled(status(&payload)?),
            b'r' => Frame::Running,
            b'o' => Frame::Stdout(payload),
            b'e' => Frame::Stderr(payload),
            b'x' => Frame::Exited(status(&payload)?),
            b'!' => Frame::HelperError(text()),
            other => return Err(format!("an unknown frame kind {other}")),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
        let mut bytes = vec![kind];
        bytes.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        bytes.extend_from_slice(payload);
        bytes
    }

    #[test]
    fn frames_split_anywhere_are_reassembled() {
        let mut stream = frame(b'o', b"hello\n");
        stream.extend(frame(b'x', b"signal 9 oom"));
        let mut decoder = Decoder::default();
        let mut frames = Vec::new();
        for byte in stream {
            decoder.push(&[byte]);
            while let Some(f) = decoder.next_frame().unwrap() {
                frames.push(f);
            }
        }
        assert_eq!(
            frames,
            [
                Frame::Stdout(b"hello\n".to_vec()),
                Frame::Exited(Status {
                    code: None,
                    signal: Some(9),
                    oom: true
                })
            ]
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_hang() {
        let mut decoder = Decoder::default();
        decoder.push(&frame(b'z', b""));
        assert!(decoder.next_frame().is_err());
        let mut decoder = Decoder::default();
        decoder.push(&[b'o', 0xff, 0xff, 0xff, 0xff]);
        assert!(decoder.next_frame().is_err());
        assert_eq!(Status::parse("exit 101").unwrap().code, Some(101));
        assert!(Status::parse("exit").is_none());
    }
}
