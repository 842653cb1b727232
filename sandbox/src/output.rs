//! Output capture: capped, and decoded as UTF-8 across chunk boundaries.

/// Collects one stream (stdout, stderr or compiler output) up to `cap` bytes.
pub struct Capture {
    cap: usize,
    accepted: usize,
    text: String,
    /// The start of a UTF-8 character whose remaining bytes are still to come.
    pending: Vec<u8>,
    pub truncated: bool,
}

impl Capture {
    pub fn new(cap: usize) -> Capture {
        Capture {
            cap,
            accepted: 0,
            text: String::new(),
            pending: Vec::new(),
            truncated: false,
        }
    }

    /// Adds bytes; returns the text they completed, if any (for streaming).
    pub fn push(&mut self, bytes: &[u8]) -> Option<String> {
        let room = self.cap.saturating_sub(self.accepted);
        if bytes.len() > room {
            self.truncated = true;
        }
        let bytes = &bytes[..bytes.len().min(room)];
        self.accepted += bytes.len();
        self.pending.extend_from_slice(bytes);
        let mut out = String::new();
        loop {
            match std::str::from_utf8(&self.pending) {
                Ok(valid) => {
                    out.push_str(valid);
                    self.pending.clear();
                    break;
                }
                Err(e) => {
                    let valid_up_to = e.valid_up_to();
                    out.push_str(std::str::from_utf8(&self.pending[..valid_up_to]).unwrap_or(""));
                    match e.error_len() {
                        // Incomplete at the end: wait for the rest.
                        None => {
                            self.pending.drain(..valid_up_to);
                            break;
                        }
                        Some(bad) => {
                            out.push(char::REPLACEMENT_CHARACTER);
                            self.pending.drain(..valid_up_to + bad);
                        }
                    }
                }
            }
        }
        // Cut mid-character by the cap: that character will never complete.
        if self.truncated && !self.pending.is_empty() {
            self.pending.clear();
            out.push(char::REPLACEMENT_CHARACTER);
        }
        self.text.push_str(&out);
        (!out.is_empty()).then_some(out)
    }

    /// Flushes an unfinished character and returns what was left to stream, if anything.
    pub fn finish(&mut self) -> Option<String> {
        if self.pending.is_empty() {
            return None;
        }
        self.pending.clear();
        let out = char::REPLACEMENT_CHARACTER.to_string();
        self.text.push_str(&out);
        Some(out)
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn into_text(self) -> String {
        self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_split_between_chunks_survive() {
        let mut c = Capture::new(100);
        let bytes = "é!".as_bytes();
        assert_eq!(c.push(&bytes[..1]), None);
        assert_eq!(c.push(&bytes[1..]).as_deref(), Some("é!"));
        assert_eq!(c.push(&[0xff, b'a']).as_deref(), Some("\u{fffd}a"));
        assert!(!c.truncated);
        assert_eq!(c.text(), "é!\u{fffd}a");
    }

    #[test]
    fn the_cap_truncates_and_says_so() {
        let mut c = Capture::new(4);
        assert_eq!(c.push(b"abc").as_deref(), Some("abc"));
        assert_eq!(c.push(b"def").as_deref(), Some("d"));
        assert!(c.truncated);
        assert_eq!(c.push(b"more"), None);
        assert_eq!(c.into_text(), "abcd");
    }
}
