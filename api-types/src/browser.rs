//! The browser id: a random id the SPA keeps in localStorage and sends with every run, so that
//! students behind one address (a classroom's NAT) each get a fair share of the run queue.
//!
//! The server trusts it for nothing but that share: anyone can send any id, so the per-address
//! cap, not this id, is what bounds one network's use of the queue.

/// The header carrying the id on `POST /api/execute`.
pub const BROWSER_ID_HEADER: &str = "x-rmp-browser";

/// The query parameter carrying the id on `GET /api/ws` (a browser cannot set headers on a
/// WebSocket).
pub const BROWSER_ID_PARAM: &str = "browser";

/// The id's length bounds, in characters.
pub const BROWSER_ID_MIN_LEN: usize = 8;
pub const BROWSER_ID_MAX_LEN: usize = 64;

/// Whether `id` is a well-formed browser id: 8 to 64 ASCII letters, digits, `-` or `_`, so it
/// needs no escaping in a URL and cannot grow the server's memory by much.
pub fn is_valid_browser_id(id: &str) -> bool {
    (BROWSER_ID_MIN_LEN..=BROWSER_ID_MAX_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_short_and_url_safe() {
        assert!(is_valid_browser_id("0123abcd"));
        assert!(is_valid_browser_id(&"a-_Z".repeat(16)));
        assert!(!is_valid_browser_id("short"));
        assert!(!is_valid_browser_id(&"a".repeat(65)));
        assert!(!is_valid_browser_id("has space1"));
        assert!(!is_valid_browser_id("percent%20d"));
        assert!(!is_valid_browser_id("ünïcödeid"));
    }
}
