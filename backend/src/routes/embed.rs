//! Embeddable snippets: one script tag on any page turns its Rust code blocks into runnable
//! snippets, each in an iframe from this origin.
//!
//! - `GET /embed.js`: the host page's script (`backend/assets/embed/embed.js`): finds the blocks,
//!   creates each iframe as it nears the viewport, relays events and the instance API.
//! - `GET /embed/snippet?s=…&origin=…`: the iframe's page, written here: the code as escaped,
//!   server-highlighted text (no wasm, no editor until the reader clicks into the code), its
//!   settings as JSON data, and `Content-Security-Policy: frame-ancestors` from `RMP_EMBED_SITES`.
//!   The code travels in the query as the share fragment's form (base64url of
//!   [`SharedCode`]'s JSON, `frontend/src/share_link.rs`), so the page is rendered by the server,
//!   cacheable, and the same snippet on ten pages is one cached address.
//! - `GET /embed/snippet.js`, `/embed/snippet.css`: the iframe's script and look, shared (and
//!   cached) by every snippet.
//! - `GET /embed/editor.js`, `/embed/editor.css`: the SPA's CodeMirror bundle under a stable name
//!   (a redirect to its hashed file in the built site), fetched only when a reader edits.
//! - `GET /embed/example`: the documented example page.

use api_types::share::{ShareError, SharedCode};
use api_types::{Action, ProjectFile};
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::head::escape;
use crate::AppState;
use crate::config::is_origin;

const EMBED_JS: &str = include_str!("../../assets/embed/embed.js");
const SNIPPET_JS: &str = include_str!("../../assets/embed/snippet.js");
const SNIPPET_CSS: &str = include_str!("../../assets/embed/snippet.css");
const EXAMPLE_HTML: &str = include_str!("../../assets/embed/example.html");
const EXAMPLE_JS: &str = include_str!("../../assets/embed/example.js");

/// The longest `s` parameter, about 44 KB of code: the `http` crate refuses any address longer
/// than 65 534 bytes, so this leaves room for the other parameters. A longer one is a 414 that
/// names the limit; `embed.js` checks first and offers "Open in the playground" instead (a
/// fragment link, which never reaches a server and has no such limit).
pub const MAX_SNIPPET_PARAM: usize = 60_000;

/// How long browsers and caches keep the embed's files: they live at fixed addresses, so not
/// for ever; an hour bounds how long an old script stays after a deploy.
const ASSET_CACHE: &str = "public, max-age=3600";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/embed.js",
            get(|h: HeaderMap| async move { asset(h, EMBED_JS, JS) }),
        )
        .route(
            "/embed/snippet.js",
            get(|h: HeaderMap| async move { asset(h, SNIPPET_JS, JS) }),
        )
        .route(
            "/embed/snippet.css",
            get(|h: HeaderMap| async move { asset(h, SNIPPET_CSS, CSS) }),
        )
        .route("/embed/snippet", get(snippet))
        .route("/embed/editor.js", get(editor_js))
        .route("/embed/editor.css", get(editor_css))
        .route("/embed/example", get(example))
        .route(
            "/embed/example.js",
            get(|h: HeaderMap| async move { asset(h, EXAMPLE_JS, JS) }),
        )
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// A fixed file with a strong validator: a reload costs a 304.
fn asset(request: HeaderMap, body: &'static str, content_type: &'static str) -> Response {
    let etag = format!("\"{:016x}\"", fnv1a(body.as_bytes()));
    let headers = [
        (header::CONTENT_TYPE, content_type.to_owned()),
        (header::CACHE_CONTROL, ASSET_CACHE.to_owned()),
        (header::ETAG, etag.clone()),
        // Lets a host page's Resource Timing see the embed's sizes (the weight is measured).
        (
            header::HeaderName::from_static("timing-allow-origin"),
            "*".to_owned(),
        ),
    ];
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .is_some_and(|value| value.as_bytes() == etag.as_bytes());
    if fresh {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (headers, body).into_response()
}

/// FNV-1a: a stable fingerprint for an `ETag`, computed per request over a few KB.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The snippet page's parameters, as `embed.js` writes them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SnippetQuery {
    /// The code and its settings: base64url (no padding) of [`SharedCode`]'s JSON, hidden lines
    /// still written `# `.
    s: String,
    /// The embedding page's origin: the only one whose messages the snippet obeys, and the
    /// site its runs are counted under.
    origin: String,
    #[serde(default)]
    theme: Theme,
    #[serde(default = "yes")]
    editable: bool,
    /// Lines the reader cannot change, 1-based in the code as written: `1-3,9`.
    #[serde(default)]
    readonly: Option<String>,
    /// The code area's greatest height in CSS pixels (it scrolls beyond).
    #[serde(default)]
    height: Option<u32>,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
enum Theme {
    Light,
    Dark,
    /// Follow the reader's `prefers-color-scheme`.
    #[default]
    Auto,
}

/// Why a snippet page cannot be made; each says what the embedding page should change.
#[derive(Debug, thiserror::Error)]
enum SnippetError {
    #[error("the snippet's address is malformed: {0}")]
    Query(String),
    #[error(
        "the snippet's code is {chars} characters long in the address; the limit is {MAX_SNIPPET_PARAM}"
    )]
    TooLong { chars: usize },
    #[error("the snippet's code is not base64url: the address was cut or changed")]
    NotBase64,
    #[error("the snippet's code does not describe code to run: {0}")]
    NotAShare(String),
    #[error("the snippet's code cannot be run: {0}")]
    Invalid(ShareError),
    #[error("an embedded snippet holds one file, src/main.rs; this one has {files}")]
    NotOneFile { files: usize },
    #[error("`{0}` is not the embedding page's origin, such as https://blog.example")]
    Origin(String),
    #[error("`{0}` is not a list of lines such as 1-3,9")]
    Lines(String),
}

impl SnippetError {
    fn status(&self) -> StatusCode {
        match self {
            SnippetError::TooLong { .. } => StatusCode::URI_TOO_LONG,
            SnippetError::Invalid(error) if error.is_too_large() => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl IntoResponse for SnippetError {
    /// A small page, since it shows inside the embedding page's frame; its text is escaped.
    fn into_response(self) -> Response {
        let page = format!(
            "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Snippet error</title>\
             <p style=\"font: 15px system-ui; color: #a11\">This Rust snippet cannot be shown: {}.</p></html>",
            escape(&self.to_string())
        );
        let mut response = (self.status(), axum::response::Html(page)).into_response();
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
        );
        response
    }
}

/// The snippet, checked and ready to write.
#[derive(Debug)]
struct Snippet {
    /// The whole program (hidden lines without their `# `).
    code: String,
    hidden: Vec<u32>,
    read_only: Vec<u32>,
    share: SharedCode,
    query: SnippetQuery,
}

impl Snippet {
    fn from_query(query: SnippetQuery) -> Result<Snippet, SnippetError> {
        if query.s.len() > MAX_SNIPPET_PARAM {
            return Err(SnippetError::TooLong {
                chars: query.s.len(),
            });
        }
        if !is_origin(&query.origin) {
            return Err(SnippetError::Origin(query.origin));
        }
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(query.s.trim())
            .map_err(|_| SnippetError::NotBase64)?;
        let share: SharedCode = serde_json::from_slice(&json)
            .map_err(|error| SnippetError::NotAShare(error.to_string()))?;
        let mut share = share.normalized();
        share.check().map_err(SnippetError::Invalid)?;
        if share.files.len() != 1 {
            return Err(SnippetError::NotOneFile {
                files: share.files.len(),
            });
        }
        let (code, hidden) = course::split_hidden(&share.files[0].contents);
        let read_only = match &query.readonly {
            Some(lines) => parse_lines(lines).ok_or_else(|| SnippetError::Lines(lines.clone()))?,
            None => Vec::new(),
        };
        // "Open in the playground" opens the whole program, hidden lines included.
        share.files = vec![ProjectFile::main(code.clone())];
        Ok(Snippet {
            code,
            hidden,
            read_only,
            share,
            query,
        })
    }
}

/// `1-3,9` as 1-based line numbers; `None` when malformed or absurdly long.
fn parse_lines(text: &str) -> Option<Vec<u32>> {
    const MOST_LINES: u32 = 10_000;
    let mut lines = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (first, last): (u32, u32) = match part.split_once('-') {
            Some((first, last)) => (first.trim().parse().ok()?, last.trim().parse().ok()?),
            None => {
                let line = part.parse().ok()?;
                (line, line)
            }
        };
        if first == 0 || first > last || last > MOST_LINES {
            return None;
        }
        lines.extend(first..=last);
    }
    lines.sort_unstable();
    lines.dedup();
    Some(lines)
}

/// The data the snippet's script reads: everything it needs, nothing it must parse from HTML.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SnippetData<'a> {
    code: &'a str,
    hidden_lines: &'a [u32],
    read_only_lines: &'a [u32],
    editable: bool,
    runner: &'a str,
    edition: &'a str,
    mode: &'a str,
    action: Action,
    origin: &'a str,
    /// The editor bundle's address, when the site has one (else edits use a text area).
    editor_js: Option<&'static str>,
    editor_css: Option<&'static str>,
    height: Option<u32>,
}

async fn snippet(
    State(state): State<AppState>,
    query: Result<Query<SnippetQuery>, QueryRejection>,
) -> Result<Response, SnippetError> {
    let Query(query) = query.map_err(|rejection| SnippetError::Query(rejection.body_text()))?;
    let snippet = Snippet::from_query(query)?;
    let editor = find_editor(&state.site_dir).await;
    let page = render(&snippet, editor.js.is_some());
    let policy = format!(
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
         connect-src 'self'; img-src 'self' data:; font-src 'self'; base-uri 'none'; \
         form-action 'none'; frame-ancestors {}",
        state.embed_sites.frame_ancestors()
    );
    let mut response = axum::response::Html(page).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_str(&policy).expect("origins are checked header text"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(ASSET_CACHE));
    Ok(response)
}

/// The snippet page. Everything from the query is escaped, and the JSON data cannot close its
/// `<script>` element: every `<` in it is written `\u003c`.
fn render(snippet: &Snippet, has_editor: bool) -> String {
    let theme = match snippet.query.theme {
        Theme::Light => "theme-light",
        Theme::Dark => "theme-dark",
        Theme::Auto => "theme-auto",
    };
    let data = SnippetData {
        code: &snippet.code,
        hidden_lines: &snippet.hidden,
        read_only_lines: &snippet.read_only,
        editable: snippet.query.editable,
        runner: snippet.share.runner.as_str(),
        edition: snippet.share.edition.as_str(),
        mode: snippet.share.mode.as_str(),
        action: snippet.share.action,
        origin: &snippet.query.origin,
        editor_js: has_editor.then_some("/embed/editor.js"),
        editor_css: has_editor.then_some("/embed/editor.css"),
        height: snippet.query.height,
    };
    let data = serde_json::to_string(&data)
        .expect("snippet data serializes")
        .replace('<', "\\u003c");
    let open = format!("/s#{}", fragment(&snippet.share));
    let run_label = if snippet.share.action == Action::Test {
        "Test"
    } else {
        "Run"
    };
    let segments = segments(snippet)
        .into_iter()
        .map(|segment| {
            let class = if segment.read_only { "seg ro" } else { "seg" };
            format!(
                "<pre class=\"{class}\" data-first=\"{}\"><code>{}</code></pre>",
                segment.first_line,
                course::highlight::highlight("rust", &segment.visible)
            )
        })
        .collect::<String>();
    format!(
        r#"<!doctype html>
<html lang="en" class="{theme}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rust snippet · Rust Mastery Playground</title>
<link rel="stylesheet" href="/embed/snippet.css">
<script type="module" src="/embed/snippet.js"></script>
</head>
<body>
<main class="snippet">
<div class="code" role="group" aria-label="Rust code">{segments}</div>
<div class="bar">
<button type="button" class="run" disabled>{run_label}</button>
<button type="button" class="reset" hidden>Reset</button>
<span class="status" role="status"></span>
<a class="open" href="{open}" target="_blank" rel="noopener">Open in the playground ↗</a>
</div>
<pre class="output" hidden></pre>
<ul class="tests" hidden></ul>
</main>
<script type="application/json" id="snippet-data">{data}</script>
</body>
</html>
"#,
        open = escape(&open),
    )
}

/// The share link's fragment for `share`: base64url of its JSON, as the SPA reads it.
fn fragment(share: &SharedCode) -> String {
    let json = serde_json::to_vec(share).expect("a share serializes");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

/// A run of lines that are all read-only or all editable, with its hidden lines left out (the
/// script puts them back from the data when it makes editors).
struct Segment {
    first_line: u32,
    read_only: bool,
    visible: String,
}

fn segments(snippet: &Snippet) -> Vec<Segment> {
    let read_only =
        |line: u32| !snippet.query.editable || snippet.read_only.binary_search(&line).is_ok();
    let mut out: Vec<Segment> = Vec::new();
    for (index, text) in snippet.code.split_inclusive('\n').enumerate() {
        let line = index as u32 + 1;
        let ro = read_only(line);
        if out.last().is_none_or(|segment| segment.read_only != ro) {
            out.push(Segment {
                first_line: line,
                read_only: ro,
                visible: String::new(),
            });
        }
        if !snippet.hidden.contains(&line) {
            out.last_mut().expect("pushed above").visible.push_str(text);
        }
    }
    out
}

/// The editor bundle's hashed file names in the built site, if it has them.
struct EditorFiles {
    js: Option<String>,
    css: Option<String>,
}

/// Looks in the site's top folder, on every request, like the SPA's files: a rebuilt site is
/// used at once. A few dozen directory entries.
async fn find_editor(site_dir: &std::path::Path) -> EditorFiles {
    let mut files = EditorFiles {
        js: None,
        css: None,
    };
    let Ok(mut entries) = tokio::fs::read_dir(site_dir).await else {
        return files;
    };
    while let Ok(Some(entry)) = entries.next_entry().await {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with("editor-") {
            continue;
        }
        if name.ends_with(".js") {
            files.js = Some(name);
        } else if name.ends_with(".css") {
            files.css = Some(name);
        }
    }
    files
}

async fn editor_js(State(state): State<AppState>) -> Response {
    editor_redirect(find_editor(&state.site_dir).await.js)
}

async fn editor_css(State(state): State<AppState>) -> Response {
    editor_redirect(find_editor(&state.site_dir).await.css)
}

/// A temporary redirect to the hashed (immutable, cached for a year) file: the stable name may
/// point elsewhere after the next build.
fn editor_redirect(file: Option<String>) -> Response {
    match file {
        Some(name) => Redirect::temporary(&format!("/{name}")).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "the editor is not built: run `cargo xtask build-spa`",
        )
            .into_response(),
    }
}

/// The example page, with the CSP it documents: a blog's policy needs only these two lines for
/// the embed (here the playground is `'self'`).
async fn example() -> Response {
    let mut response = axum::response::Html(EXAMPLE_HTML).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; frame-src 'self'; style-src 'unsafe-inline'",
        ),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(code: &str) -> SnippetQuery {
        let share = SharedCode::snippet(code);
        SnippetQuery {
            s: fragment(&share),
            origin: "https://blog.example".into(),
            theme: Theme::Auto,
            editable: true,
            readonly: None,
            height: None,
        }
    }

    #[test]
    fn line_lists() {
        assert_eq!(parse_lines("1-3, 9,2"), Some(vec![1, 2, 3, 9]));
        assert_eq!(parse_lines(""), Some(vec![]));
        for bad in ["0", "3-1", "a", "1-99999", "1-"] {
            assert_eq!(parse_lines(bad), None, "{bad}");
        }
    }

    #[test]
    fn hidden_lines_are_in_the_program_but_not_on_the_page() {
        let snippet =
            Snippet::from_query(query("# use std::fmt::Write as _;\nfn main() {}\n")).unwrap();
        assert_eq!(snippet.code, "use std::fmt::Write as _;\nfn main() {}\n");
        assert_eq!(snippet.hidden, [1]);
        let page = render(&snippet, true);
        let (shown, data) = page.split_once("id=\"snippet-data\"").unwrap();
        assert!(
            !shown.contains("Write"),
            "the hidden line is not shown: {shown}"
        );
        assert!(
            data.contains("Write as _;\\nfn main()"),
            "but it runs: {data}"
        );
        let page = data;
        assert!(page.contains("\"hiddenLines\":[1]"));
    }

    #[test]
    fn read_only_lines_make_their_own_segments() {
        let mut q = query("a\nb\nc\nd\n");
        q.readonly = Some("2-3".into());
        let snippet = Snippet::from_query(q).unwrap();
        let shape: Vec<(u32, bool)> = segments(&snippet)
            .iter()
            .map(|s| (s.first_line, s.read_only))
            .collect();
        assert_eq!(shape, [(1, false), (2, true), (4, false)]);
    }

    #[test]
    fn code_cannot_close_the_data_script_or_make_markup() {
        let code = "fn main() { println!(\"</script><img src=x onerror=alert(1)>\"); }";
        let page = render(&Snippet::from_query(query(code)).unwrap(), false);
        assert!(!page.contains("</script><img"), "{page}");
        assert!(!page.contains("<img"), "{page}");
        assert!(page.contains("\\u003c/script>\\u003cimg"));
        assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
    }
}
