//! The fragment form of shared code, `/s#<fragment>`: base64url of the share's JSON, made and read
//! only by the page (the server never sees a fragment), so it needs no server state at all.
//! Pure, unit-tested natively.

use api_types::share::{MAX_SHARE_BYTES, ShareError, SharedCode};

/// The longest fragment the page decodes: the size limit in base64 of JSON, with room for the
/// escaping JSON adds to code (quotes, backslashes, newlines).
pub const MAX_FRAGMENT_CHARS: usize = MAX_SHARE_BYTES * 2;

/// Why a fragment link cannot be opened, worded for the person who followed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FragmentError {
    Empty,
    TooLong { chars: usize },
    NotBase64,
    NotAShare(String),
    Invalid(ShareError),
}

impl std::fmt::Display for FragmentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const BROKEN: &str = "This link's code is broken";
        match self {
            FragmentError::Empty => {
                write!(f, "This link carries no code: the part after `#` is empty.")
            }
            FragmentError::TooLong { chars } => write!(
                f,
                "{BROKEN}: it is {chars} characters long, more than a share may hold."
            ),
            FragmentError::NotBase64 => write!(
                f,
                "{BROKEN}: the part after `#` was cut or changed (it is not base64url). Ask for the link again."
            ),
            FragmentError::NotAShare(reason) => write!(
                f,
                "{BROKEN}: it does not describe shared code ({reason}). Ask for the link again."
            ),
            FragmentError::Invalid(error) => write!(f, "{BROKEN}: {error}."),
        }
    }
}

impl std::error::Error for FragmentError {}

/// The fragment form of `code`: base64url (no padding) of its JSON.
pub fn encode_fragment(code: &SharedCode) -> String {
    let json = serde_json::to_vec(code).expect("a share serializes");
    base64url_encode(&json)
}

/// Reads a fragment made by [`encode_fragment`] and checks the share it carries.
pub fn decode_fragment(fragment: &str) -> Result<SharedCode, FragmentError> {
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment).trim();
    if fragment.is_empty() {
        return Err(FragmentError::Empty);
    }
    if fragment.len() > MAX_FRAGMENT_CHARS {
        return Err(FragmentError::TooLong {
            chars: fragment.len(),
        });
    }
    let json = base64url_decode(fragment).ok_or(FragmentError::NotBase64)?;
    let code: SharedCode = serde_json::from_slice(&json)
        .map_err(|error| FragmentError::NotAShare(error.to_string()))?;
    let code = code.normalized();
    code.check().map_err(FragmentError::Invalid)?;
    Ok(code)
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// RFC 4648 §5 without padding: safe in a URL fragment as it is.
fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// The inverse of [`base64url_encode`]; `None` for any other character or a cut-off length.
/// Standard base64's `+` and `/` and trailing `=` are accepted too: a chat may have rewritten them.
fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let sextet = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'-' | b'+' => Some(62),
        b'_' | b'/' => Some(63),
        _ => None,
    };
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    for chunk in text.as_bytes().chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= u32::from(sextet(*c)?) << (18 - 6 * i);
        }
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use api_types::ProjectFile;
    use api_types::project::ProjectError;
    use api_types::{Edition, share::SharedCode};

    use super::*;

    #[test]
    fn base64url_round_trips_every_length() {
        for len in 0..40 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 250) as u8).collect();
            let text = base64url_encode(&bytes);
            assert!(
                text.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "{text}"
            );
            assert_eq!(base64url_decode(&text), Some(bytes), "{len}");
        }
        assert_eq!(base64url_encode(b"hi?>"), "aGk_Pg");
        assert_eq!(base64url_decode("aGk/Pg=="), Some(b"hi?>".to_vec()));
        assert_eq!(base64url_decode("aGk_P"), None, "a cut-off length");
        assert_eq!(base64url_decode("aG k"), None);
    }

    #[test]
    fn a_fragment_carries_the_share_and_a_broken_one_says_why() {
        let mut code = SharedCode::snippet(
            "fn main() { println!(\"</script><img src=x onerror=alert(1)>\"); }",
        );
        code.title = Some("Hello".into());
        code.edition = Edition::E2021;
        let fragment = encode_fragment(&code);
        assert_eq!(decode_fragment(&fragment), Ok(code.clone()));
        assert_eq!(decode_fragment(&format!("#{fragment}")), Ok(code));

        assert_eq!(decode_fragment(""), Err(FragmentError::Empty));
        assert_eq!(decode_fragment("#"), Err(FragmentError::Empty));
        assert_eq!(decode_fragment("%%%"), Err(FragmentError::NotBase64));
        let cut = &fragment[..fragment.len() / 2];
        assert!(matches!(
            decode_fragment(cut),
            Err(FragmentError::NotAShare(_) | FragmentError::NotBase64)
        ));
        let not_a_share = base64url_encode(b"{\"files\":[],\"evil\":1}");
        let error = decode_fragment(&not_a_share).unwrap_err().to_string();
        assert!(error.starts_with("This link's code is broken"), "{error}");
        let no_root = encode_fragment(&SharedCode {
            files: vec![ProjectFile::new("shim.c", "")],
            ..SharedCode::default()
        });
        assert!(matches!(
            decode_fragment(&no_root),
            Err(FragmentError::Invalid(ShareError::Project(
                ProjectError::NoCrateRoot
            )))
        ));
    }
}
