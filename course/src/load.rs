//! Walking the content directory.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::front_matter::split_front_matter;
use crate::markdown::render_markdown;
use crate::{Chapter, ContentError, Course, Library, Part};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CourseFile {
    title: String,
    summary: String,
    order: u32,
    /// The course's parts (months, units) in teaching order; empty for a flat course.
    #[serde(default)]
    parts: Vec<Part>,
}

impl Library {
    /// Loads every course under `dir`. Fails on the first problem, naming the file and line.
    pub fn load(dir: &Path) -> Result<Library, ContentError> {
        if !dir.is_dir() {
            return Err(ContentError::MissingDir {
                path: dir.to_owned(),
            });
        }
        let mut courses = Vec::new();
        for course_dir in sorted_entries(dir)? {
            if course_dir.is_dir() {
                courses.push(load_course(&course_dir)?);
            }
        }
        courses.sort_by(|a, b| (a.order, &a.slug).cmp(&(b.order, &b.slug)));

        let mut by_slug = HashMap::new();
        let mut paths: HashMap<&str, &Path> = HashMap::new();
        for (ci, course) in courses.iter().enumerate() {
            for (hi, chapter) in course.chapters.iter().enumerate() {
                if let Some(first) = paths.insert(&chapter.slug, &chapter.path) {
                    return Err(ContentError::DuplicateSlug {
                        slug: chapter.slug.clone(),
                        first: first.to_owned(),
                        second: chapter.path.clone(),
                    });
                }
                by_slug.insert(chapter.slug.clone(), (ci, hi));
            }
        }
        let mut library = Library { courses, by_slug };
        check_chapter_links(&mut library);
        Ok(library)
    }
}

fn load_course(dir: &Path) -> Result<Course, ContentError> {
    let slug = slug_of(dir)?;
    let course_file = dir.join("course.toml");
    if !course_file.is_file() {
        return Err(ContentError::MissingCourseFile {
            dir: dir.to_owned(),
        });
    }
    let text = read(&course_file)?;
    let meta: CourseFile = toml::from_str(&text).map_err(|err| ContentError::Syntax {
        path: course_file.clone(),
        line: err
            .span()
            .map_or(0, |s| text[..s.start].matches('\n').count())
            + 1,
        message: err.message().to_owned(),
    })?;

    let mut chapters = Vec::new();
    for path in sorted_entries(dir)? {
        if path.extension().is_some_and(|e| e == "md") {
            chapters.push(load_chapter(&path, &slug)?);
        }
    }
    chapters.sort_by(|a, b| (a.front.order, &a.slug).cmp(&(b.front.order, &b.slug)));
    check_parts(&course_file, &text, &meta.parts, &chapters)?;
    Ok(Course {
        slug,
        title: meta.title,
        summary: meta.summary,
        order: meta.order,
        parts: meta.parts,
        chapters,
    })
}

/// A course with parts puts every chapter in one of them, each part's chapters consecutive in
/// teaching order (so the outline's groups and the previous/next links agree); a course without
/// parts has chapters that name none.
fn check_parts(
    course_file: &Path,
    text: &str,
    parts: &[Part],
    chapters: &[Chapter],
) -> Result<(), ContentError> {
    // Each part's line: its quoted id, searched from where the previous part's was found.
    let mut from = 0;
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for part in parts {
        let at = text[from..]
            .find(&format!("\"{}\"", part.id))
            .map_or(from, |i| from + i);
        from = (at + 1).min(text.len());
        let line = text[..at].matches('\n').count() + 1;
        if !is_slug(&part.id) {
            return Err(ContentError::Syntax {
                path: course_file.to_owned(),
                line,
                message: format!(
                    "part id `{}` must use lowercase letters, digits and dashes",
                    part.id
                ),
            });
        }
        if seen.insert(&part.id, line).is_some() {
            return Err(ContentError::Syntax {
                path: course_file.to_owned(),
                line,
                message: format!("part id `{}` is used twice", part.id),
            });
        }
    }
    // The `part` line of a chapter's front matter (read again only to report a mistake).
    let front_line = |chapter: &Chapter| {
        fs::read_to_string(&chapter.path).map_or(2, |source| front_matter_line(&source, "part"))
    };
    let mut finished: Vec<&str> = Vec::new();
    let mut current: Option<&str> = None;
    for chapter in chapters {
        let part = chapter.front.part.as_deref();
        let problem = match (parts.is_empty(), part) {
            (true, Some(part)) => Some(format!(
                "part = \"{part}\", but {} declares no [[parts]]",
                course_file.display()
            )),
            (false, None) => Some(format!(
                "this course has parts: add part = \"<id>\" to the front matter, one of: {}",
                part_ids(parts)
            )),
            (false, Some(part)) if !seen.contains_key(part) => Some(format!(
                "unknown part `{part}`; {} declares: {}",
                course_file.display(),
                part_ids(parts)
            )),
            (false, Some(part)) if current != Some(part) && finished.contains(&part) => {
                Some(format!(
                    "part `{part}` resumes after another part: give its chapters consecutive `order`s"
                ))
            }
            _ => None,
        };
        if let Some(message) = problem {
            return Err(ContentError::Syntax {
                path: chapter.path.clone(),
                line: front_line(chapter),
                message,
            });
        }
        if current != part {
            finished.extend(current);
            current = part;
        }
    }
    Ok(())
}

fn part_ids(parts: &[Part]) -> String {
    parts
        .iter()
        .map(|p| format!("`{}`", p.id))
        .collect::<Vec<_>>()
        .join(", ")
}

fn load_chapter(path: &Path, course_slug: &str) -> Result<Chapter, ContentError> {
    let source = read(path)?;
    let (front, body, body_line) = split_front_matter(path, &source)?;
    if let Some(course) = front.course.as_ref().filter(|c| *c != course_slug) {
        return Err(ContentError::Syntax {
            path: path.to_owned(),
            line: 2,
            message: format!(
                "front matter says course = \"{course}\" but the file is in the `{course_slug}` course directory"
            ),
        });
    }
    let mut rendered = render_markdown(body, body_line);
    rendered
        .problems
        .extend(plain_text_problems(&source, &front));
    let slides = crate::slides::split(
        &front,
        &rendered.blocks,
        &rendered.slide_marks,
        &rendered.sections,
        front_matter_line(&source, "minutes"),
        &mut rendered.problems,
    );
    Ok(Chapter {
        slides,
        slug: slug_of(path)?,
        path: path.to_owned(),
        front,
        blocks: rendered.blocks,
        headings: rendered.headings,
        problems: rendered.problems,
        tasks: rendered.tasks,
        links: chapter_links(&source),
    })
}

/// A link to `/learn/<slug>` in a chapter must name a chapter that exists: a broken one is a
/// problem at its line (the chapter still loads). The links were collected while loading.
fn check_chapter_links(library: &mut Library) {
    let known: std::collections::HashSet<String> = library.by_slug.keys().cloned().collect();
    for course in &mut library.courses {
        for chapter in &mut course.chapters {
            for (line, slug) in &chapter.links {
                if !known.contains(slug) {
                    chapter.problems.push(crate::Problem {
                        line: *line,
                        message: format!("the link to /learn/{slug} names no chapter"),
                    });
                }
            }
        }
    }
}

/// Every `](/learn/<slug>` in `source`, with its 1-based line.
fn chapter_links(source: &str) -> Vec<(usize, String)> {
    let mut links = Vec::new();
    for (index, line) in source.lines().enumerate() {
        for (at, _) in line.match_indices("](/learn/") {
            let slug: String = line[at + "](/learn/".len()..]
                .chars()
                .take_while(|c| is_slug_char(*c))
                .collect();
            links.push((index + 1, slug));
        }
    }
    links
}

/// The 1-based line of `key` in `source`'s front matter, else the line after its opening `+++`.
fn front_matter_line(source: &str, key: &str) -> usize {
    source
        .lines()
        .skip(1)
        .take_while(|l| l.trim_end() != "+++")
        .position(|l| l.trim_start().starts_with(key))
        .map_or(2, |i| i + 2)
}

/// The title and summary are shown as plain text (outlines, page titles, link previews), so
/// Markdown in them would show as raw marks.
fn plain_text_problems(source: &str, front: &crate::FrontMatter) -> Vec<crate::Problem> {
    let mut problems = Vec::new();
    for (key, value) in [("title", &front.title), ("summary", &front.summary)] {
        if let Some(mark) = ["`", "**", "__", "]("]
            .into_iter()
            .find(|mark| value.contains(mark))
        {
            problems.push(crate::Problem {
                line: front_matter_line(source, key),
                message: format!(
                    "the {key} is plain text (it is shown in outlines and titles), so `{mark}` would show as is; write it without Markdown"
                ),
            });
        }
    }
    problems
}

/// Lowercase letters, digits and dashes: safe in a URL and a file name.
fn is_slug(name: &str) -> bool {
    !name.is_empty() && name.chars().all(is_slug_char)
}

fn is_slug_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
}

/// The slug of a file or directory: its name without extension, checked to be URL-safe.
fn slug_of(path: &Path) -> Result<String, ContentError> {
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    if is_slug(name) {
        Ok(name.to_owned())
    } else {
        Err(ContentError::InvalidSlug {
            path: path.to_owned(),
            name: name.to_owned(),
        })
    }
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, ContentError> {
    let io = |source| ContentError::Io {
        path: dir.to_owned(),
        source,
    };
    let mut paths = fs::read_dir(dir)
        .map_err(io)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(io)?;
    // Dotfiles and READMEs are for people browsing the repository, not course material.
    paths.retain(|p| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        !name.starts_with('.') && name != "README.md"
    });
    paths.sort();
    Ok(paths)
}

fn read(path: &Path) -> Result<String, ContentError> {
    fs::read_to_string(path).map_err(|source| ContentError::Io {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    fn chapter(title: &str, order: u32) -> String {
        format!(
            "+++\ntitle = \"{title}\"\norder = {order}\nminutes = 5\nsummary = \"About {title}\"\n+++\n# {title}\n\n```rust\nfn main() {{}}\n```\n"
        )
    }

    fn course(title: &str, order: u32) -> String {
        format!("title = \"{title}\"\nsummary = \"s\"\norder = {order}\n")
    }

    #[test]
    fn loads_courses_and_chapters_in_order() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "README.md", "for authors");
        write(dir.path(), "b/course.toml", &course("B", 1));
        write(dir.path(), "b/two.md", &chapter("Two", 2));
        write(dir.path(), "b/one.md", &chapter("One", 1));
        write(dir.path(), "b/three.md", &chapter("Three", 3));
        write(dir.path(), "a/course.toml", &course("A", 2));
        write(dir.path(), "a/alpha.md", &chapter("Alpha", 1));

        let library = Library::load(dir.path()).unwrap();
        let outline: Vec<(&str, Vec<&str>)> = library
            .courses
            .iter()
            .map(|c| {
                (
                    c.slug.as_str(),
                    c.chapters.iter().map(|h| h.slug.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            outline,
            [("b", vec!["one", "two", "three"]), ("a", vec!["alpha"])]
        );
        assert_eq!(library.chapter_count(), 4);
        let (course, two) = library.chapter("two").unwrap();
        assert_eq!(two.front.title, "Two");
        let (prev, next) = course.neighbours("two");
        assert_eq!(prev.unwrap().slug, "one");
        assert_eq!(next.unwrap().slug, "three");
        assert!(library.chapter("nope").is_none());
    }

    #[test]
    fn an_unknown_demo_is_a_problem_at_its_line() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a/course.toml", &course("A", 1));
        write(
            dir.path(),
            "a/x.md",
            "+++\ntitle = \"X\"\norder = 1\nminutes = 1\nsummary = \"\"\n+++\nText.\n\n```demo\nspaceship\n```\n",
        );
        let library = Library::load(dir.path()).unwrap();
        let problems: Vec<String> = library.problems().map(|p| p.to_string()).collect();
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].ends_with("x.md:9: unknown demo `spaceship` (known demos: matching-engine, lock-free-explorer)"),
            "{problems:?}"
        );
        // The rest of the chapter still renders.
        let (_, chapter) = library.chapter("x").unwrap();
        assert!(matches!(chapter.blocks[0], crate::Block::Prose(_)));
    }

    #[test]
    fn a_missing_directory_is_named() {
        let err = Library::load(Path::new("/definitely/not/here")).unwrap_err();
        assert!(
            err.to_string()
                .contains("`/definitely/not/here` does not exist")
        );
    }

    #[test]
    fn broken_front_matter_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "c/course.toml", &course("C", 1));
        write(
            dir.path(),
            "c/bad.md",
            "+++\ntitle = \"Bad\"\norder = \"first\"\nminutes = 5\nsummary = \"\"\n+++\n",
        );
        let err = Library::load(dir.path()).unwrap_err().to_string();
        assert!(
            err.ends_with("bad.md:3: front matter: invalid type: string \"first\", expected u32"),
            "{err}"
        );
    }

    #[test]
    fn duplicate_slugs_across_courses_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a/course.toml", &course("A", 1));
        write(dir.path(), "b/course.toml", &course("B", 2));
        write(dir.path(), "a/same.md", &chapter("X", 1));
        write(dir.path(), "b/same.md", &chapter("Y", 1));
        let err = Library::load(dir.path()).unwrap_err().to_string();
        assert!(
            err.starts_with("chapter slug `same` is used twice"),
            "{err}"
        );
    }

    #[test]
    fn a_course_without_course_toml_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "lonely/ch.md", &chapter("X", 1));
        let err = Library::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("has no course.toml"), "{err}");
    }

    #[test]
    fn uppercase_file_names_are_not_slugs() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a/course.toml", &course("A", 1));
        write(dir.path(), "a/Intro.md", &chapter("X", 1));
        let err = Library::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("`Intro` is not a valid slug"), "{err}");
    }

    #[test]
    fn a_course_mismatch_in_front_matter_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a/course.toml", &course("A", 1));
        write(
            dir.path(),
            "a/x.md",
            "+++\ntitle = \"X\"\ncourse = \"b\"\norder = 1\nminutes = 1\nsummary = \"\"\n+++\n",
        );
        let err = Library::load(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("x.md:2: front matter says course = \"b\""),
            "{err}"
        );
    }

    fn chapter_in(title: &str, order: u32, part: &str) -> String {
        chapter(title, order).replacen("+++\n", &format!("+++\npart = \"{part}\"\n"), 1)
    }

    const PARTED: &str = "title = \"M\"\nsummary = \"s\"\norder = 1\n\n[[parts]]\nid = \"month-1\"\ntitle = \"Month 1\"\n\n[[parts]]\nid = \"month-2\"\ntitle = \"Month 2\"\nsummary = \"The type system\"\n";

    #[test]
    fn a_course_with_parts_puts_each_chapter_in_one() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "m/course.toml", PARTED);
        write(dir.path(), "m/w1.md", &chapter_in("W1", 1, "month-1"));
        write(dir.path(), "m/w2.md", &chapter_in("W2", 2, "month-1"));
        write(dir.path(), "m/w5.md", &chapter_in("W5", 3, "month-2"));
        let library = Library::load(dir.path()).unwrap();
        let course = &library.courses[0];
        let ids: Vec<&str> = course.parts.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["month-1", "month-2"]);
        assert_eq!(course.parts[1].summary, "The type system");
        let placed: Vec<(&str, Option<&str>)> = course
            .chapters
            .iter()
            .map(|c| (c.slug.as_str(), c.front.part.as_deref()))
            .collect();
        assert_eq!(
            placed,
            [
                ("w1", Some("month-1")),
                ("w2", Some("month-1")),
                ("w5", Some("month-2"))
            ]
        );
    }

    #[test]
    fn parts_that_do_not_add_up_are_reported_with_file_and_line() {
        let cases = [
            // (chapter files, expected message fragment, expected file:line)
            (
                vec![("w1", chapter("W1", 1))],
                "add part = \"<id>\"",
                "w1.md:2",
            ),
            (
                vec![("w1", chapter_in("W1", 1, "month-9"))],
                "unknown part `month-9`",
                "w1.md:2",
            ),
            (
                vec![
                    ("w1", chapter_in("W1", 1, "month-1")),
                    ("w5", chapter_in("W5", 2, "month-2")),
                    ("w2", chapter_in("W2", 3, "month-1")),
                ],
                "part `month-1` resumes after another part",
                "w2.md:2",
            ),
        ];
        for (files, message, location) in cases {
            let dir = tempfile::tempdir().unwrap();
            write(dir.path(), "m/course.toml", PARTED);
            for (slug, text) in &files {
                write(dir.path(), &format!("m/{slug}.md"), text);
            }
            let err = Library::load(dir.path()).unwrap_err().to_string();
            assert!(err.contains(message), "{err}");
            assert!(err.contains(location), "{err}");
        }

        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "flat/course.toml", &course("Flat", 1));
        write(dir.path(), "flat/one.md", &chapter_in("One", 1, "month-1"));
        let err = Library::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("declares no [[parts]]"), "{err}");

        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "m/course.toml",
            &PARTED.replace("month-2", "month-1"),
        );
        write(dir.path(), "m/w1.md", &chapter_in("W1", 1, "month-1"));
        let err = Library::load(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("course.toml:10: part id `month-1` is used twice"),
            "{err}"
        );
    }

    #[test]
    fn markdown_in_a_title_or_summary_is_a_problem_at_its_line() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a/course.toml", &course("A", 1));
        write(
            dir.path(),
            "a/one.md",
            &chapter("One", 1).replace(
                "summary = \"About One\"",
                "summary = \"Why `unsafe` and #[inline] matter\"",
            ),
        );
        let library = Library::load(dir.path()).unwrap();
        let problems: Vec<String> = library.problems().map(|p| p.to_string()).collect();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("one.md:5: the summary is plain text"),
            "{problems:?}"
        );
        assert!(
            problems[0].contains("`` ` ``") || problems[0].contains("`"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_link_to_a_chapter_that_does_not_exist_is_a_problem_at_its_line() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a/course.toml", &course("A", 1));
        write(dir.path(), "a/two.md", &chapter("Two", 2));
        write(
            dir.path(),
            "a/one.md",
            &format!(
                "{}\nSee [two](/learn/two) and [three](/learn/three#x).\n",
                chapter("One", 1)
            ),
        );
        let library = Library::load(dir.path()).unwrap();
        let problems: Vec<String> = library.problems().map(|p| p.to_string()).collect();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].ends_with("one.md:13: the link to /learn/three names no chapter"),
            "{problems:?}"
        );
    }
}
