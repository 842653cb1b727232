//! What each app page says about itself before any script runs: the `<title>`, description,
//! OpenGraph and Twitter tags and canonical address that link previews (chats, blogs, search
//! engines) read from the raw HTML, and whether the address exists at all (HTTP 200 or 404).
//!
//! The routes here mirror the SPA's (`frontend/src/lib.rs`, `App`); a page the SPA has and this
//! module does not would answer 404 while the app renders it, so add new routes to both.
//! Everything taken from the content is data: it is HTML-escaped on its way into the head.

use api_types::share::Share;
use axum::http::StatusCode;
use course::{Chapter, Course, Library};

use crate::config::PublicUrl;

/// The site's name, as the SPA appends it to every title.
pub const SITE_NAME: &str = "Rust Mastery Playground";

/// What the course index says, and the built shell's own description.
const SITE_DESCRIPTION: &str =
    "Learn advanced Rust by reading, running and changing every example.";

/// The pages that do not come from the content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Demo {
    MatchingEngine,
    LockFree,
}

impl Demo {
    pub const ALL: [Demo; 2] = [Demo::MatchingEngine, Demo::LockFree];

    pub fn path(self) -> &'static str {
        match self {
            Demo::MatchingEngine => "/demos/matching-engine",
            Demo::LockFree => "/demos/lock-free",
        }
    }

    /// The title the demo's page sets (`frontend/src/demos/*.rs`), without the site name.
    fn title(self) -> &'static str {
        match self {
            Demo::MatchingEngine => "Matching engine",
            Demo::LockFree => "Lock-free explorer",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Demo::MatchingEngine => {
                "A limit-order-book matching engine compiled to WebAssembly and running in your \
                 browser: price-time priority, GTC, IOC and FOK limits, market orders, cancels, \
                 modifies and self-trade prevention."
            }
            Demo::LockFree => {
                "Step two threads through a lock-free stack or ring one atomic operation at a \
                 time, and watch the schedule that breaks the naive stack (ABA) as it happens."
            }
        }
    }
}

/// Which of a chapter's presentation pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PresentView {
    /// The projector's view, at this 1-based slide.
    Slide(usize),
    Console,
}

/// An address the server was asked for, as the SPA will understand it.
#[derive(Clone, Copy, Debug)]
pub enum Page<'a> {
    Index,
    Course(&'a Course),
    Chapter(&'a Chapter),
    Demo(Demo),
    /// `/present/<slug>`, `/present/<slug>/<n>` (a 1-based slide; past the end shows the last)
    /// and `/present/<slug>/console`: a chapter as slides, or its presenter console.
    Present {
        chapter: &'a Chapter,
        view: PresentView,
    },
    /// `/learn/<slug>` naming no chapter: the SPA says "Chapter not found".
    UnknownChapter,
    /// Any other address: the SPA says "Page not found".
    NotFound,
    /// `/s/<id>`: shared code, looked up in the store before resolving (see [`share_id`]).
    Share(&'a Share),
    /// `/s/<id>` naming no share: the SPA says "Shared code not found".
    UnknownShare,
    /// `/s`: the page that opens code carried in the URL fragment, which the server never sees.
    FragmentShare,
    /// `/join` and `/join/<code>` (a code of the right form; whether its room exists the SPA
    /// asks, since rooms come and go): a student joins a class session.
    Join,
    /// `/teach/<slug>`: a teacher leads a class through a chapter.
    Teach(&'a Chapter),
    /// `/room/<code>/dashboard`: the class dashboard, for the teacher.
    Dashboard,
}

/// The share id in `path` (`/s/<id>`, one trailing `/` allowed), which the caller looks up
/// before [`Page::resolve`], that being synchronous.
pub fn share_id(path: &str) -> Option<&str> {
    let id = path.strip_prefix("/s/")?;
    let id = id.strip_suffix('/').unwrap_or(id);
    (!id.is_empty() && !id.contains('/')).then_some(id)
}

impl<'a> Page<'a> {
    /// The page at `path` (the request's path, without query), looked up in `library`. One
    /// trailing `/` names the same page, as it does for the SPA's router. `share` is what the
    /// store holds under [`share_id`]`(path)`, if anything.
    pub fn resolve(path: &str, library: &'a Library, share: Option<&'a Share>) -> Page<'a> {
        let path = path
            .strip_suffix('/')
            .filter(|rest| !rest.is_empty())
            .unwrap_or(path);
        let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
        match segments.as_slice() {
            [""] => Page::Index,
            ["courses", slug] => library
                .courses
                .iter()
                .find(|course| course.slug == *slug)
                .map_or(Page::NotFound, Page::Course),
            ["learn", slug] => library
                .chapter(slug)
                .map_or(Page::UnknownChapter, |(_, chapter)| Page::Chapter(chapter)),
            ["present", slug, rest @ ..] => {
                let view = match rest {
                    [] => Some(PresentView::Slide(1)),
                    ["console"] => Some(PresentView::Console),
                    [n] => n
                        .parse::<usize>()
                        .ok()
                        .filter(|n| *n >= 1)
                        .map(PresentView::Slide),
                    _ => None,
                };
                match (library.chapter(slug), view) {
                    (_, None) => Page::NotFound,
                    (None, Some(_)) => Page::UnknownChapter,
                    (Some((_, chapter)), Some(view)) => Page::Present { chapter, view },
                }
            }
            ["s"] => Page::FragmentShare,
            ["join"] => Page::Join,
            ["join", code] if api_types::room::normalize_room_code(code).is_some() => Page::Join,
            ["teach", slug] => library
                .chapter(slug)
                .map_or(Page::UnknownChapter, |(_, chapter)| Page::Teach(chapter)),
            ["room", code, "dashboard"] if api_types::room::normalize_room_code(code).is_some() => {
                Page::Dashboard
            }
            ["s", id] => share
                .filter(|share| share.id == *id)
                .map_or(Page::UnknownShare, Page::Share),
            _ => Demo::ALL
                .into_iter()
                .find(|demo| demo.path() == path)
                .map_or(Page::NotFound, Page::Demo),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Page::UnknownChapter | Page::NotFound | Page::UnknownShare => StatusCode::NOT_FOUND,
            _ => StatusCode::OK,
        }
    }

    /// The page's own address (its canonical path), built from what it is rather than from the
    /// request; `None` for a page that does not exist.
    pub fn path(&self) -> Option<String> {
        match self {
            Page::Index => Some("/".to_owned()),
            Page::Course(course) => Some(format!("/courses/{}", course.slug)),
            Page::Chapter(chapter) => Some(format!("/learn/{}", chapter.slug)),
            Page::Present { chapter, view } => Some(match view {
                PresentView::Slide(1) => format!("/present/{}", chapter.slug),
                PresentView::Slide(n) => format!("/present/{}/{n}", chapter.slug),
                PresentView::Console => format!("/present/{}/console", chapter.slug),
            }),
            Page::Demo(demo) => Some(demo.path().to_owned()),
            Page::Share(share) => Some(format!("/s/{}", share.id)),
            Page::FragmentShare => Some("/s".to_owned()),
            Page::Join => Some("/join".to_owned()),
            Page::Teach(chapter) => Some(format!("/teach/{}", chapter.slug)),
            Page::Dashboard => None,
            Page::UnknownChapter | Page::NotFound | Page::UnknownShare => None,
        }
    }

    /// The tags for this page's `<head>`, escaped, with absolute addresses on `site`.
    pub fn head(&self, site: &PublicUrl) -> String {
        let (title, description, kind) = match self {
            Page::Index => (None, SITE_DESCRIPTION, "website"),
            Page::Course(course) => (
                Some(course.title.as_str()),
                course.summary.as_str(),
                "website",
            ),
            Page::Chapter(chapter) => (
                Some(chapter.front.title.as_str()),
                chapter.front.summary.as_str(),
                "article",
            ),
            Page::Demo(demo) => (Some(demo.title()), demo.description(), "website"),
            Page::Share(share) => return share_head(share, site),
            Page::Present { chapter, view } => return present_head(chapter, *view),
            // The code is in the fragment, which never reaches the server: a generic head.
            Page::FragmentShare => return not_found_head(SHARED_CODE),
            // A class's pages are for the people in the room, not for search results.
            Page::Join => return not_found_head("Join a class"),
            Page::Teach(chapter) => {
                return not_found_head(&escape(&format!("Teaching {}", chapter.front.title)));
            }
            Page::Dashboard => return not_found_head("Class dashboard"),
            // The same titles as the SPA's not-found pages; kept out of search indexes, and no
            // canonical address, so nothing from the requested path is written back.
            Page::UnknownChapter => return not_found_head("Chapter not found"),
            Page::NotFound => return not_found_head("Page not found"),
            Page::UnknownShare => return not_found_head("Shared code not found"),
        };
        let full_title = match title {
            Some(title) => format!("{title} · {SITE_NAME}"),
            None => SITE_NAME.to_owned(),
        };
        let url = escape(&site.join(&self.path().unwrap_or_default()));
        let og_title = escape(title.unwrap_or(SITE_NAME));
        let description = escape(description);
        format!(
            "<title>{}</title>\n    \
             <meta name=\"description\" content=\"{description}\" />\n    \
             <link rel=\"canonical\" href=\"{url}\" />\n    \
             <meta property=\"og:type\" content=\"{kind}\" />\n    \
             <meta property=\"og:site_name\" content=\"{SITE_NAME}\" />\n    \
             <meta property=\"og:title\" content=\"{og_title}\" />\n    \
             <meta property=\"og:description\" content=\"{description}\" />\n    \
             <meta property=\"og:url\" content=\"{url}\" />\n    \
             <meta name=\"twitter:card\" content=\"summary\" />",
            escape(&full_title),
        )
    }
}

/// What a share without a title of its own is called.
const SHARED_CODE: &str = "Shared code";

/// A share's head: its own title (or "Shared code"), a description quoting its first lines, and
/// `noindex`, since anyone can make a share and it should not become a search result.
fn share_head(share: &Share, site: &PublicUrl) -> String {
    let code = &share.code;
    let title = code.title.as_deref().unwrap_or(SHARED_CODE);
    let lines: Vec<&str> = code
        .main_code()
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .take(3)
        .collect();
    let mut quote = lines.join(" ");
    if quote.chars().count() > 160 {
        quote = quote.chars().take(160).collect::<String>() + "…";
    }
    let files = match code.files.len() {
        1 => String::new(),
        n => format!(", {n} files"),
    };
    let description = format!(
        "Rust code shared from the {SITE_NAME} ({} runner, edition {}{files}), ready to run and \
         change: {quote}",
        code.runner,
        code.edition.as_str(),
    );
    let url = escape(&site.join(&format!("/s/{}", share.id)));
    let description = escape(&description);
    let og_title = escape(title);
    format!(
        "<title>{og_title} · {SITE_NAME}</title>\n    \
         <meta name=\"description\" content=\"{description}\" />\n    \
         <meta name=\"robots\" content=\"noindex\" />\n    \
         <link rel=\"canonical\" href=\"{url}\" />\n    \
         <meta property=\"og:type\" content=\"article\" />\n    \
         <meta property=\"og:site_name\" content=\"{SITE_NAME}\" />\n    \
         <meta property=\"og:title\" content=\"{og_title}\" />\n    \
         <meta property=\"og:description\" content=\"{description}\" />\n    \
         <meta property=\"og:url\" content=\"{url}\" />\n    \
         <meta name=\"twitter:card\" content=\"summary\" />"
    )
}

/// The same titles as the SPA's presentation pages; kept out of search indexes, since the
/// reading page (`/learn/<slug>`) is where the chapter's words are.
fn present_head(chapter: &Chapter, view: PresentView) -> String {
    let title = escape(&present_title(&chapter.front.title, view));
    let description = escape(&chapter.front.summary);
    format!(
        "<title>{title} · {SITE_NAME}</title>\n    \
         <meta name=\"description\" content=\"{description}\" />\n    \
         <meta name=\"robots\" content=\"noindex\" />"
    )
}

/// What `frontend/src/pages/present.rs` and `present_console.rs` call these pages.
fn present_title(chapter_title: &str, view: PresentView) -> String {
    match view {
        PresentView::Slide(_) => format!("{chapter_title} (slides)"),
        PresentView::Console => format!("{chapter_title} (presenter console)"),
    }
}

/// The head of a page kept out of search indexes (not-found pages, a class's pages); `title` is
/// already escaped.
fn not_found_head(title: &str) -> String {
    format!(
        "<title>{title} · {SITE_NAME}</title>\n    \
         <meta name=\"description\" content=\"{SITE_DESCRIPTION}\" />\n    \
         <meta name=\"robots\" content=\"noindex\" />"
    )
}

/// The built `index.html` with its `<title>` replaced by `head` and its own description removed
/// (the head carries the page's). Trunk copies both from `frontend/index.html`; should a future
/// shell lack a title, the tags go just before `</head>`.
pub fn render_shell(shell: &str, head: &str) -> String {
    let mut page = shell.to_owned();
    if let Some((start, end)) = element(&page, "<meta name=\"description\"", ">") {
        // With the indentation and line break before it, so no blank line is left.
        let line_start = page[..start].trim_end_matches([' ', '\t']).len();
        let start = if page[..line_start].ends_with('\n') {
            line_start - 1
        } else {
            start
        };
        page.replace_range(start..end, "");
    }
    if let Some((start, end)) = element(&page, "<title>", "</title>") {
        page.replace_range(start..end, head);
    } else if let Some(start) = page.find("</head>") {
        page.insert_str(start, head);
    } else {
        // No head at all: the parser puts leading tags into the head it makes up.
        page.insert_str(0, head);
    }
    page
}

/// The byte range of the first text starting with `open` and ending with the next `close`.
fn element(text: &str, open: &str, close: &str) -> Option<(usize, usize)> {
    let start = text.find(open)?;
    let end = start + open.len() + text[start + open.len()..].find(close)? + close.len();
    Some((start, end))
}

/// Escapes text for HTML or XML content and for quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_real_shell_keeps_one_title_and_one_description() {
        // The source Trunk copies into `dist/index.html`: if its title or description change
        // shape, this is where the rewrite would silently stop working.
        let shell = include_str!("../../../frontend/index.html");
        let page = render_shell(
            shell,
            "<title>X</title><meta name=\"description\" content=\"Y\" />",
        );
        assert_eq!(page.matches("<title>").count(), 1, "{page}");
        assert_eq!(page.matches("<meta name=\"description\"").count(), 1);
        assert!(page.contains("<title>X</title>"));
        assert!(
            !page.contains("\n    \n"),
            "no blank line where the description was: {page}"
        );
        assert!(!page.contains(SITE_DESCRIPTION));
        assert!(
            page.contains("Loading Rust Mastery Playground"),
            "the body is kept"
        );
    }

    #[test]
    fn a_shell_without_a_title_gets_the_tags_in_its_head() {
        assert_eq!(
            render_shell(
                "<html><head></head><body></body></html>",
                "<title>X</title>"
            ),
            "<html><head><title>X</title></head><body></body></html>"
        );
        assert_eq!(
            render_shell("<p>hi", "<title>X</title>"),
            "<title>X</title><p>hi"
        );
    }

    #[test]
    fn markup_and_quotes_are_escaped() {
        assert_eq!(
            escape(r#"</title><script>alert('x')</script> & "q""#),
            "&lt;/title&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }

    /// A library of one course, `basics`, with one chapter, `first`.
    fn basics() -> (tempfile::TempDir, Library) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("basics")).unwrap();
        std::fs::write(
            dir.path().join("basics/course.toml"),
            "title = \"Basics\"\nsummary = \"First\"\norder = 1\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("basics/first.md"),
            "+++\ntitle = \"First\"\norder = 1\nminutes = 5\nsummary = \"One\"\n+++\nText.\n",
        )
        .unwrap();
        let library = Library::load(dir.path()).unwrap();
        (dir, library)
    }

    #[test]
    fn demos_are_pages_and_other_paths_are_not() {
        let (_dir, library) = basics();
        assert!(matches!(Page::resolve("/", &library, None), Page::Index));
        assert!(matches!(
            Page::resolve("/courses/basics", &library, None),
            Page::Course(_)
        ));
        assert!(matches!(
            Page::resolve("/demos/lock-free", &library, None),
            Page::Demo(Demo::LockFree)
        ));
        for path in [
            "/nope",
            "/courses/nope",
            "/courses/basics/x",
            "/demos",
            "/learn",
            "/s/abc/def",
        ] {
            assert!(
                matches!(Page::resolve(path, &library, None), Page::NotFound),
                "{path}"
            );
        }
        assert!(matches!(
            Page::resolve("/learn/nope", &library, None),
            Page::UnknownChapter
        ));
    }

    /// The invariant "the server knows the SPA's routes", checked: every `path!(...)` the app
    /// routes (`frontend/src/lib.rs`) is a page here, its parameters filled with things that exist.
    #[test]
    fn every_route_of_the_spa_is_a_page_here() {
        let (_dir, library) = basics();
        let share = Share {
            id: "abcDEF012345".into(),
            code: api_types::share::SharedCode::default(),
        };
        let app = include_str!("../../../frontend/src/lib.rs");
        let routes: Vec<&str> = app
            .split("path!(\"")
            .skip(1)
            .filter_map(|rest| rest.split_once("\")").map(|(route, _)| route))
            .collect();
        assert!(
            routes.len() >= 7,
            "the app's routes were not found: {routes:?}"
        );
        for route in routes {
            let path = route
                .replace("/courses/:slug", "/courses/basics")
                .replace("/learn/:slug", "/learn/first")
                .replace("/present/:slug", "/present/first")
                .replace("/:n", "/2")
                .replace("/s/:id", "/s/abcDEF012345")
                .replace("/teach/:slug", "/teach/first")
                .replace(":code", "ABCDEF");
            assert!(
                !path.contains(':'),
                "a route with an unknown parameter: {route}"
            );
            let page = Page::resolve(&path, &library, share_id(&path).map(|_| &share));
            assert_eq!(
                page.status(),
                StatusCode::OK,
                "the SPA routes {route}, but the server answers {path} with {page:?}"
            );
        }
    }

    #[test]
    fn presentations_are_pages_of_known_chapters_titled_per_chapter() {
        let (_dir, library) = basics();
        let site = PublicUrl::parse("https://play.example.org").unwrap();
        for (path, view) in [
            ("/present/first", PresentView::Slide(1)),
            ("/present/first/", PresentView::Slide(1)),
            ("/present/first/3", PresentView::Slide(3)),
            ("/present/first/console", PresentView::Console),
        ] {
            let page = Page::resolve(path, &library, None);
            assert!(
                matches!(page, Page::Present { chapter, view: v } if chapter.slug == "first" && v == view),
                "{path}: {page:?}"
            );
            assert_eq!(page.status(), StatusCode::OK);
        }
        let head = Page::resolve("/present/first/console", &library, None).head(&site);
        assert!(
            head.starts_with("<title>First (presenter console) · Rust Mastery Playground</title>"),
            "{head}"
        );
        assert!(
            head.contains("noindex") && head.contains("content=\"One\""),
            "{head}"
        );
        assert!(
            Page::resolve("/present/first/2", &library, None)
                .head(&site)
                .starts_with("<title>First (slides) · ")
        );
        for path in ["/present/nope", "/present/nope/2", "/present/nope/console"] {
            assert!(
                matches!(Page::resolve(path, &library, None), Page::UnknownChapter),
                "{path}"
            );
        }
        for path in [
            "/present",
            "/present/first/0",
            "/present/first/x",
            "/present/first/2/3",
        ] {
            assert!(
                matches!(Page::resolve(path, &library, None), Page::NotFound),
                "{path}"
            );
        }
    }

    #[test]
    fn class_pages_need_a_code_of_the_right_form_or_a_chapter_and_stay_out_of_indexes() {
        let (_dir, library) = basics();
        let site = PublicUrl::from_host("localhost").unwrap();
        for path in [
            "/join",
            "/join/abcdef",
            "/room/K7QX3M/dashboard",
            "/teach/first",
        ] {
            let page = Page::resolve(path, &library, None);
            assert_eq!(page.status(), StatusCode::OK, "{path}");
            assert!(page.head(&site).contains("noindex"), "{path}");
        }
        for path in ["/join/O0I1", "/room/nope/dashboard", "/join/ABCDEF/x"] {
            assert!(
                matches!(Page::resolve(path, &library, None), Page::NotFound),
                "{path}"
            );
        }
        assert!(matches!(
            Page::resolve("/teach/nope", &library, None),
            Page::UnknownChapter
        ));
    }

    #[test]
    fn shares_are_pages_titled_by_their_code_and_unknown_ids_are_404() {
        let library = Library::load(tempfile::tempdir().unwrap().path()).unwrap();
        let share = Share {
            id: "abcDEF012345".into(),
            code: api_types::share::SharedCode {
                files: vec![api_types::ProjectFile::main(
                    "\n// </script><img src=x onerror=alert(1)>\nfn main() {}\n".into(),
                )],
                title: Some("\"><script>alert('t')</script>".into()),
                ..Default::default()
            },
        };
        assert_eq!(share_id("/s/abcDEF012345/"), Some("abcDEF012345"));
        assert_eq!(share_id("/s/"), None);
        assert_eq!(share_id("/s/a/b"), None);
        assert_eq!(share_id("/learn/x"), None);

        let page = Page::resolve("/s/abcDEF012345", &library, Some(&share));
        assert!(matches!(page, Page::Share(_)));
        assert_eq!(page.status(), StatusCode::OK);
        let site = PublicUrl::parse("https://play.example.org").unwrap();
        let head = page.head(&site);
        assert!(
            head.starts_with(
                "<title>&quot;&gt;&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt; · Rust Mastery Playground</title>"
            ),
            "{head}"
        );
        assert!(
            head.contains("// &lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; fn main() {}"),
            "{head}"
        );
        assert!(head.contains("stable runner, edition 2024"), "{head}");
        assert!(
            head.contains("href=\"https://play.example.org/s/abcDEF012345\""),
            "{head}"
        );
        assert!(head.contains("noindex"));
        assert!(!head.contains("<script"), "{head}");

        for unknown in [
            Page::resolve("/s/abcDEF012345", &library, None),
            Page::resolve("/s/other0000000", &library, Some(&share)),
        ] {
            assert!(matches!(unknown, Page::UnknownShare));
            assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
            assert!(unknown.head(&site).contains("Shared code not found"));
        }
        let fragment = Page::resolve("/s", &library, None);
        assert!(matches!(fragment, Page::FragmentShare));
        assert_eq!(fragment.status(), StatusCode::OK);
    }
}
