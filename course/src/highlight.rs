//! A small, dependency-free syntax highlighter producing `<span class="tok-...">` HTML.
//!
//! It knows Rust well enough for teaching material (keywords, types, strings, raw strings,
//! lifetimes versus char literals, nested comments, attributes, macros, numbers) and TOML's basics.
//! Everything else is escaped and left plain. Classes: `tok-kw`, `tok-ty`, `tok-str`, `tok-num`,
//! `tok-com`, `tok-mac`, `tok-attr`, `tok-life`, `tok-fn`.

/// Highlights `code` written in `language`.
pub fn highlight(language: &str, code: &str) -> String {
    match language {
        "rust" | "rs" => highlight_rust(code),
        "toml" => highlight_toml(code),
        _ => escape(code),
    }
}

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type", "union",
    "unsafe", "use", "where", "while", "yield",
];

const PRIMITIVES: &[&str] = &[
    "bool", "char", "str", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64",
    "i128", "isize", "f32", "f64",
];

/// Appends `text` HTML-escaped.
fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}

/// `text` HTML-escaped, quotes included (so it is safe in an attribute too).
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_escaped(&mut out, text);
    out
}

fn push_token(out: &mut String, class: &str, text: &str) {
    out.push_str("<span class=\"tok-");
    out.push_str(class);
    out.push_str("\">");
    push_escaped(out, text);
    out.push_str("</span>");
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_continue(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// A cursor over the source by byte offset.
struct Cursor<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn peek(&self, n: usize) -> Option<char> {
        self.rest().chars().nth(n)
    }

    /// Advances while `keep` holds and returns the consumed text.
    fn eat_while(&mut self, keep: impl Fn(char) -> bool) -> &'a str {
        let start = self.pos;
        while let Some(c) = self.peek(0) {
            if !keep(c) {
                break;
            }
            self.pos += c.len_utf8();
        }
        &self.src[start..self.pos]
    }

    fn bump(&mut self) {
        if let Some(c) = self.peek(0) {
            self.pos += c.len_utf8();
        }
    }
}

fn highlight_rust(code: &str) -> String {
    let mut out = String::with_capacity(code.len() * 2);
    let mut cur = Cursor { src: code, pos: 0 };
    while let Some(c) = cur.peek(0) {
        let start = cur.pos;
        let rest = cur.rest();
        if rest.starts_with("//") {
            cur.eat_while(|c| c != '\n');
            push_token(&mut out, "com", &code[start..cur.pos]);
        } else if rest.starts_with("/*") {
            skip_block_comment(&mut cur);
            push_token(&mut out, "com", &code[start..cur.pos]);
        } else if let Some(len) = raw_string_len(rest) {
            cur.pos += len;
            push_token(&mut out, "str", &code[start..cur.pos]);
        } else if c == '"' || rest.starts_with("b\"") || rest.starts_with("c\"") {
            if c != '"' {
                cur.bump();
            }
            skip_quoted(&mut cur, '"');
            push_token(&mut out, "str", &code[start..cur.pos]);
        } else if c == '\'' || rest.starts_with("b'") {
            if c != '\'' {
                cur.bump();
            }
            if is_char_literal(cur.rest()) {
                skip_quoted(&mut cur, '\'');
                push_token(&mut out, "str", &code[start..cur.pos]);
            } else {
                cur.bump();
                cur.eat_while(is_ident_continue);
                push_token(&mut out, "life", &code[start..cur.pos]);
            }
        } else if rest.starts_with("#[") || rest.starts_with("#![") {
            skip_attribute(&mut cur);
            push_token(&mut out, "attr", &code[start..cur.pos]);
        } else if c.is_ascii_digit() {
            eat_number(&mut cur);
            push_token(&mut out, "num", &code[start..cur.pos]);
        } else if is_ident_start(c) {
            let word = cur.eat_while(is_ident_continue);
            let after = cur.rest();
            if after.starts_with('!') && !after.starts_with("!=") {
                cur.bump();
                push_token(&mut out, "mac", &code[start..cur.pos]);
            } else if KEYWORDS.contains(&word) {
                push_token(&mut out, "kw", word);
            } else if PRIMITIVES.contains(&word) || word.starts_with(char::is_uppercase) {
                push_token(&mut out, "ty", word);
            } else if after.starts_with('(') {
                push_token(&mut out, "fn", word);
            } else {
                push_escaped(&mut out, word);
            }
        } else {
            cur.bump();
            push_escaped(&mut out, &code[start..cur.pos]);
        }
    }
    out
}

/// Length of a raw string (`r"…"`, `r#"…"#`, `br"…"`, `cr"…"`) starting `rest`, if one does.
fn raw_string_len(rest: &str) -> Option<usize> {
    let after_prefix = rest
        .strip_prefix("br")
        .or_else(|| rest.strip_prefix("cr"))
        .or_else(|| rest.strip_prefix('r'))?;
    let hashes = after_prefix.len() - after_prefix.trim_start_matches('#').len();
    let body = after_prefix[hashes..].strip_prefix('"')?;
    let closing = format!("\"{}", "#".repeat(hashes));
    let consumed = rest.len() - body.len();
    Some(match body.find(&closing) {
        Some(end) => consumed + end + closing.len(),
        None => rest.len(),
    })
}

/// After a `'`: is this a char literal (`'a'`, `'\n'`, `'\u{1F600}'`) rather than a lifetime?
fn is_char_literal(rest: &str) -> bool {
    let mut chars = rest.chars();
    chars.next(); // the opening quote
    match chars.next() {
        Some('\\') => true,
        Some(_) => chars.next() == Some('\''),
        None => false,
    }
}

/// Consumes a quoted literal starting at the opening `quote`, honouring backslash escapes.
fn skip_quoted(cur: &mut Cursor, quote: char) {
    cur.bump();
    while let Some(c) = cur.peek(0) {
        cur.bump();
        if c == '\\' {
            cur.bump();
        } else if c == quote {
            break;
        }
    }
}

/// Consumes a block comment, which nests in Rust.
fn skip_block_comment(cur: &mut Cursor) {
    let mut depth = 0usize;
    while !cur.rest().is_empty() {
        if cur.rest().starts_with("/*") {
            depth += 1;
            cur.pos += 2;
        } else if cur.rest().starts_with("*/") {
            depth -= 1;
            cur.pos += 2;
            if depth == 0 {
                return;
            }
        } else {
            cur.bump();
        }
    }
}

/// Consumes `#[...]` or `#![...]`, with nested brackets and strings inside.
fn skip_attribute(cur: &mut Cursor) {
    let mut depth = 0usize;
    while let Some(c) = cur.peek(0) {
        match c {
            '"' => {
                skip_quoted(cur, '"');
                continue;
            }
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    cur.bump();
                    return;
                }
            }
            _ => {}
        }
        cur.bump();
    }
}

/// Consumes a numeric literal, stopping before `..` so that `0..10` stays a range.
fn eat_number(cur: &mut Cursor) {
    loop {
        cur.eat_while(|c| c.is_ascii_alphanumeric() || c == '_');
        let rest = cur.rest();
        if rest.starts_with('.') && rest[1..].starts_with(|c: char| c.is_ascii_digit()) {
            cur.bump();
        } else {
            return;
        }
    }
}

fn highlight_toml(code: &str) -> String {
    let mut out = String::with_capacity(code.len() * 2);
    for line in code.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with('#') {
            push_token(&mut out, "com", line);
        } else if trimmed.starts_with('[') {
            push_token(&mut out, "kw", line);
        } else if let Some((key, value)) = line.split_once('=') {
            push_token(&mut out, "fn", key);
            out.push('=');
            let mut cur = Cursor { src: value, pos: 0 };
            while let Some(c) = cur.peek(0) {
                let start = cur.pos;
                if c == '"' {
                    skip_quoted(&mut cur, '"');
                    push_token(&mut out, "str", &value[start..cur.pos]);
                } else if c.is_ascii_digit() {
                    eat_number(&mut cur);
                    push_token(&mut out, "num", &value[start..cur.pos]);
                } else {
                    cur.bump();
                    push_escaped(&mut out, &value[start..cur.pos]);
                }
            }
        } else {
            push_escaped(&mut out, line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{Expect, expect};

    fn check(language: &str, code: &str, expected: Expect) {
        expected.assert_eq(&highlight(language, code));
    }

    #[test]
    fn keywords_types_functions_and_macros() {
        check(
            "rust",
            "fn main() { let v: Vec<u8> = vec![1, 2]; println!(\"{v:?}\"); }",
            expect![[
                r#"<span class="tok-kw">fn</span> <span class="tok-fn">main</span>() { <span class="tok-kw">let</span> v: <span class="tok-ty">Vec</span>&lt;<span class="tok-ty">u8</span>&gt; = <span class="tok-mac">vec!</span>[<span class="tok-num">1</span>, <span class="tok-num">2</span>]; <span class="tok-mac">println!</span>(<span class="tok-str">&quot;{v:?}&quot;</span>); }"#
            ]],
        );
    }

    #[test]
    fn lifetimes_are_not_char_literals() {
        check(
            "rust",
            "fn f<'a>(x: &'a str) -> char { 'x' } const N: char = '\\n';",
            expect![[
                r#"<span class="tok-kw">fn</span> f&lt;<span class="tok-life">&#39;a</span>&gt;(x: &amp;<span class="tok-life">&#39;a</span> <span class="tok-ty">str</span>) -&gt; <span class="tok-ty">char</span> { <span class="tok-str">&#39;x&#39;</span> } <span class="tok-kw">const</span> <span class="tok-ty">N</span>: <span class="tok-ty">char</span> = <span class="tok-str">&#39;\n&#39;</span>;"#
            ]],
        );
    }

    #[test]
    fn comments_nest_and_attributes_hold_strings() {
        check(
            "rust",
            "/* a /* b */ c */ #[derive(Debug)] #[doc = \"]\"] // done",
            expect![[
                r#"<span class="tok-com">/* a /* b */ c */</span> <span class="tok-attr">#[derive(Debug)]</span> <span class="tok-attr">#[doc = &quot;]&quot;]</span> <span class="tok-com">// done</span>"#
            ]],
        );
    }

    #[test]
    fn raw_strings_ranges_and_html_escaping() {
        check(
            "rust",
            "let s = r#\"<\"quoted\">\"#; for i in 0..10 { x = 1.5e3 != 2 && a < b; }",
            expect![[
                r#"<span class="tok-kw">let</span> s = <span class="tok-str">r#&quot;&lt;&quot;quoted&quot;&gt;&quot;#</span>; <span class="tok-kw">for</span> i <span class="tok-kw">in</span> <span class="tok-num">0</span>..<span class="tok-num">10</span> { x = <span class="tok-num">1.5e3</span> != <span class="tok-num">2</span> &amp;&amp; a &lt; b; }"#
            ]],
        );
    }

    #[test]
    fn unterminated_literals_do_not_panic() {
        for code in ["\"open", "r#\"open", "/* open", "#[open", "'", "b'", "1."] {
            let html = highlight("rust", code);
            assert!(html.contains("span"), "{code:?} -> {html}");
        }
    }

    #[test]
    fn toml_and_unknown_languages() {
        check(
            "toml",
            "# deps\n[dependencies]\nserde = \"1\"\n",
            expect![[r#"
            <span class="tok-com"># deps
            </span><span class="tok-kw">[dependencies]
            </span><span class="tok-fn">serde </span>= <span class="tok-str">&quot;1&quot;</span>
        "#]],
        );
        check(
            "text",
            "a < b & \"c\"",
            expect!["a &lt; b &amp; &quot;c&quot;"],
        );
    }
}
