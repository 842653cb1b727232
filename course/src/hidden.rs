//! Hidden boilerplate lines: in a Rust block, a line written `# code` is part of the program but
//! collapsed on the page, as in rustdoc and mdBook. `##` at the start of a line escapes a real `#`.

/// Splits a Rust block's source into the whole program and the 1-based lines to collapse.
pub fn split_hidden(source: &str) -> (String, Vec<u32>) {
    let mut code = String::with_capacity(source.len());
    let mut hidden = Vec::new();
    for (index, line) in source.split_inclusive('\n').enumerate() {
        let (text, ending) = match line.strip_suffix('\n') {
            Some(text) => (text, "\n"),
            None => (line, ""),
        };
        let trimmed = text.trim_start();
        if let Some(rest) = trimmed.strip_prefix("##") {
            // `##[derive(Debug)]` is a visible `#[derive(Debug)]`.
            code.push_str(&text[..text.len() - trimmed.len()]);
            code.push('#');
            code.push_str(rest);
        } else if let Some(rest) = trimmed.strip_prefix("# ") {
            hidden.push(index as u32 + 1);
            code.push_str(rest);
        } else if trimmed == "#" {
            hidden.push(index as u32 + 1);
        } else {
            code.push_str(text);
        }
        code.push_str(ending);
    }
    (code, hidden)
}

/// The lines of `code` not listed in `hidden`, joined: what the page shows before anyone asks.
pub fn visible_part(code: &str, hidden: &[u32]) -> String {
    code.split_inclusive('\n')
        .enumerate()
        .filter(|(index, _)| !hidden.contains(&(*index as u32 + 1)))
        .map(|(_, line)| line)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_space_lines_are_hidden_and_keep_their_code() {
        let source = "# use std::fmt;\n#\nfn main() {\n    # let x = 1;\n    ##[allow(unused)]\n    #[derive(Debug)]\n}\n";
        let (code, hidden) = split_hidden(source);
        assert_eq!(
            code,
            "use std::fmt;\n\nfn main() {\nlet x = 1;\n    #[allow(unused)]\n    #[derive(Debug)]\n}\n"
        );
        assert_eq!(hidden, [1, 2, 4]);
        assert_eq!(
            visible_part(&code, &hidden),
            "fn main() {\n    #[allow(unused)]\n    #[derive(Debug)]\n}\n"
        );
    }

    #[test]
    fn attributes_and_shebang_like_lines_stay_visible() {
        let (code, hidden) = split_hidden("#![allow(dead_code)]\n#[test]\nfn t() {}");
        assert_eq!(code, "#![allow(dead_code)]\n#[test]\nfn t() {}");
        assert!(hidden.is_empty());
    }
}
