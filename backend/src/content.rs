//! The course content being served, and the author's loop.
//!
//! The content is one [`Library`] behind a `watch` channel, so handlers read the current version
//! without locking and subscribers learn of each new one. In production it is loaded once
//! ([`Content::fixed`]). With `RMP_CONTENT_WATCH` on ([`Content::watched`], `cargo xtask run`
//! turns it on) the directory is polled and loaded again when a file changes; an edit that does
//! not load is *rejected*: its `file:line` problem is published and the last good version stays
//! in service, so an author's typo never takes the site down.
//!
//! Polling, not inotify: it sees every editor's way of saving (write in place, write and rename,
//! delete and create), works on mounted and network filesystems, and costs a few `stat` calls per
//! tick for a directory of some dozen files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use api_types::ContentEvent;
use course::Library;
use tokio::sync::watch;

/// One version of the content and what the author's page is told about it.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub library: Arc<Library>,
    /// The outline (`GET /api/courses`), built once per version: every page asks for it.
    pub courses: Arc<api_types::CourseList>,
    /// The search index (`GET /api/search`) as JSON, serialised once per version: it is the
    /// largest answer the API gives, and every reader who searches asks for it.
    pub search: axum::body::Bytes,
    pub event: ContentEvent,
}

/// The content being served (see the module documentation). Cheap to clone.
#[derive(Clone)]
pub struct Content {
    /// Where reloads read from; unused when not watching.
    dir: PathBuf,
    watching: bool,
    sender: Arc<watch::Sender<Snapshot>>,
}

impl Content {
    /// Content loaded once and served as it is until the server stops.
    pub fn fixed(library: Library) -> Content {
        Content::new(PathBuf::new(), library, false)
    }

    /// Content loaded from `dir` that is loaded again whenever its files change, checked every
    /// `interval`. Spawns the watcher on the current tokio runtime; it ends with the runtime.
    /// The files as they are when this returns are the baseline: any later save is a change.
    pub async fn watched(dir: PathBuf, library: Library, interval: Duration) -> Content {
        let content = Content::new(dir, library, true);
        let baseline = fingerprint(content.dir.clone()).await;
        tokio::spawn(content.clone().watch(baseline, interval));
        content
    }

    fn new(dir: PathBuf, library: Library, watching: bool) -> Content {
        let event = ContentEvent {
            version: 1,
            problems: problems(&library),
            ..ContentEvent::default()
        };
        let (sender, _) = watch::channel(Snapshot {
            courses: Arc::new(course_list(&library)),
            search: search_json(&library),
            library: Arc::new(library),
            event,
        });
        Content {
            dir,
            watching,
            sender: Arc::new(sender),
        }
    }

    /// The library being served now.
    pub fn library(&self) -> Arc<Library> {
        Arc::clone(&self.sender.borrow().library)
    }

    /// The outline of the library being served now.
    pub fn courses(&self) -> Arc<api_types::CourseList> {
        Arc::clone(&self.sender.borrow().courses)
    }

    /// The search index of the library being served now, as JSON.
    pub fn search(&self) -> axum::body::Bytes {
        self.sender.borrow().search.clone()
    }

    /// Whether the directory is watched (pages may subscribe to reloads).
    pub fn watching(&self) -> bool {
        self.watching
    }

    /// The current snapshot now, and every later one.
    pub fn subscribe(&self) -> watch::Receiver<Snapshot> {
        self.sender.subscribe()
    }

    /// Loads the directory again and publishes the outcome: the new version with the chapters
    /// whose pages changed, or, when the files do not load, the reason, with the last good version
    /// kept in service. Returns what was published.
    pub async fn reload(&self) -> ContentEvent {
        let dir = self.dir.clone();
        let loaded = match tokio::task::spawn_blocking(move || Library::load(&dir)).await {
            Ok(result) => result.map_err(|error| error.to_string()),
            Err(panic) => Err(format!("loading the content failed: {panic}")),
        };
        let mut published = ContentEvent::default();
        self.sender.send_modify(|snapshot| {
            match loaded {
                Ok(library) => {
                    let courses = course_list(&library);
                    let changed = changed_chapters(&snapshot.library, &library);
                    let outline_changed = courses != *snapshot.courses;
                    snapshot.event = ContentEvent {
                        version: snapshot.event.version + 1,
                        changed,
                        outline_changed,
                        rejected: None,
                        problems: problems(&library),
                    };
                    snapshot.search = search_json(&library);
                    snapshot.library = Arc::new(library);
                    snapshot.courses = Arc::new(courses);
                }
                Err(reason) => {
                    // Nothing changed on the page: the old version is still the one served.
                    snapshot.event.changed.clear();
                    snapshot.event.outline_changed = false;
                    snapshot.event.rejected = Some(reason);
                }
            }
            published = snapshot.event.clone();
        });
        match &published.rejected {
            None => tracing::info!(
                version = published.version,
                changed = ?published.changed,
                "content reloaded"
            ),
            Some(reason) => tracing::warn!(
                "content edit rejected, still serving version {}: {reason}",
                published.version
            ),
        }
        for problem in &published.problems {
            tracing::warn!("content problem: {problem}");
        }
        published
    }

    /// Polls the directory. A change is loaded once the files have held still for one tick,
    /// because editors save in steps (truncate then write, or write a temporary file and rename).
    async fn watch(self, baseline: Fingerprint, interval: Duration) {
        let mut loaded = baseline;
        let mut last = loaded.clone();
        loop {
            tokio::time::sleep(interval).await;
            let now = fingerprint(self.dir.clone()).await;
            if now != last {
                last = now;
                continue;
            }
            if now != loaded {
                loaded = now;
                self.reload().await;
            }
        }
    }
}

type Fingerprint = Vec<(PathBuf, u64, Option<SystemTime>)>;

/// Every file under `dir` with its size and modification time, sorted; empty when `dir` cannot be
/// read (the reload that follows says why).
async fn fingerprint(dir: PathBuf) -> Fingerprint {
    tokio::task::spawn_blocking(move || {
        let mut files = Vec::new();
        collect(&dir, &mut files);
        files.sort();
        files
    })
    .await
    .unwrap_or_default()
}

fn collect(dir: &Path, files: &mut Fingerprint) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_dir() {
            collect(&entry.path(), files);
        } else {
            files.push((entry.path(), meta.len(), meta.modified().ok()));
        }
    }
}

/// The malformed blocks of `library`, as `file:line: message`.
fn problems(library: &Library) -> Vec<String> {
    library.problems().map(|p| p.to_string()).collect()
}

/// The chapters whose page differs between `old` and `new` (added and removed ones included).
fn changed_chapters(old: &Library, new: &Library) -> Vec<String> {
    let slugs: BTreeSet<&str> = old
        .chapters()
        .chain(new.chapters())
        .map(|(_, chapter)| chapter.slug.as_str())
        .collect();
    slugs
        .into_iter()
        .filter(|slug| chapter_page(old, slug) != chapter_page(new, slug))
        .map(str::to_owned)
        .collect()
}

/// `GET /api/search`: the library's search index, serialised.
fn search_json(library: &Library) -> axum::body::Bytes {
    let index = library.search_index();
    let json = serde_json::to_vec(&index).unwrap_or_else(|err| {
        // Plain strings and vectors always serialise; an empty index keeps the page working.
        tracing::error!(%err, "cannot serialise the search index");
        b"{\"chapters\":[]}".to_vec()
    });
    let sections: usize = index.chapters.iter().map(|c| c.sections.len()).sum();
    tracing::info!(
        chapters = index.chapters.len(),
        sections,
        bytes = json.len(),
        "search index built"
    );
    axum::body::Bytes::from(json)
}

/// `GET /api/courses`: the outline, with what progress is counted against in each chapter.
pub fn course_list(library: &Library) -> api_types::CourseList {
    let courses = library
        .courses
        .iter()
        .map(|course| api_types::CourseSummary {
            slug: course.slug.clone(),
            title: course.title.clone(),
            summary: course.summary.clone(),
            parts: course
                .parts
                .iter()
                .map(|part| api_types::PartSummary {
                    id: part.id.clone(),
                    title: part.title.clone(),
                    summary: part.summary.clone(),
                })
                .collect(),
            chapters: course.chapters.iter().map(chapter_summary).collect(),
        })
        .collect();
    api_types::CourseList { courses }
}

/// `GET /api/chapters/{slug}`: the chapter's page, if there is such a chapter.
pub fn chapter_page(library: &Library, slug: &str) -> Option<api_types::Chapter> {
    let (course, chapter) = library.chapter(slug)?;
    let (previous, next) = course.neighbours(slug);
    Some(api_types::Chapter {
        slug: chapter.slug.clone(),
        title: chapter.front.title.clone(),
        summary: chapter.front.summary.clone(),
        minutes: chapter.front.minutes,
        course: api_types::CourseRef {
            slug: course.slug.clone(),
            title: course.title.clone(),
        },
        blocks: chapter.blocks.iter().map(course::Block::to_wire).collect(),
        headings: chapter
            .headings
            .iter()
            .map(|h| api_types::Heading {
                level: h.level,
                id: h.id.clone(),
                text: h.text.clone(),
            })
            .collect(),
        previous: previous.map(chapter_ref),
        next: next.map(chapter_ref),
    })
}

fn chapter_summary(chapter: &course::Chapter) -> api_types::ChapterSummary {
    let mut examples = Vec::new();
    let mut exercises = Vec::new();
    for block in &chapter.blocks {
        match block.to_wire() {
            api_types::Block::Code(code) if code.runnable && code.problem.is_none() => {
                examples.push(code.id);
            }
            api_types::Block::Files(set) if set.runnable && set.problem.is_none() => {
                examples.push(set.id);
            }
            api_types::Block::Exercise(exercise) => exercises.push(exercise.id),
            _ => {}
        }
    }
    api_types::ChapterSummary {
        slug: chapter.slug.clone(),
        title: chapter.front.title.clone(),
        summary: chapter.front.summary.clone(),
        minutes: chapter.front.minutes,
        part: chapter.front.part.clone(),
        examples,
        exercises,
        tasks: chapter.tasks.clone(),
    }
}

fn chapter_ref(chapter: &course::Chapter) -> api_types::ChapterRef {
    api_types::ChapterRef {
        slug: chapter.slug.clone(),
        title: chapter.front.title.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chapter(title: &str, body: &str) -> String {
        format!("+++\ntitle = \"{title}\"\norder = 1\nminutes = 5\nsummary = \"S\"\n+++\n{body}")
    }

    fn write(dir: &Path, path: &str, text: &str) {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn directory() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "c/course.toml",
            "title = \"C\"\nsummary = \"S\"\norder = 1\n",
        );
        write(
            dir.path(),
            "c/one.md",
            &chapter("One", "First text.\n\n```rust\nfn main() {}\n```\n"),
        );
        write(
            dir.path(),
            "c/two.md",
            &chapter("Two", "```rust\nfn main() {}\n```\n"),
        );
        dir
    }

    fn first_prose(content: &Content) -> String {
        let page = chapter_page(&content.library(), "one").unwrap();
        match &page.blocks[0] {
            api_types::Block::Prose { html } => html.clone(),
            other => panic!("expected prose first, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn an_edit_is_served_and_names_only_the_chapters_it_changed() {
        let dir = directory();
        let content = Content::new(
            dir.path().to_owned(),
            Library::load(dir.path()).unwrap(),
            true,
        );
        let mut updates = content.subscribe();
        assert_eq!(updates.borrow_and_update().event.version, 1);

        write(
            dir.path(),
            "c/one.md",
            &chapter("One", "Second text.\n\n```rust\nfn main() {}\n```\n"),
        );
        let event = content.reload().await;
        assert_eq!(event.version, 2);
        assert_eq!(event.changed, ["one"], "`two` did not change");
        assert!(!event.outline_changed, "the titles and order are the same");
        assert_eq!(event.rejected, None);
        assert!(first_prose(&content).contains("Second text."));
        assert!(updates.has_changed().unwrap(), "subscribers hear of it");

        // A new title changes the outline, and `two`'s page (its "previous" link names `one`).
        write(
            dir.path(),
            "c/one.md",
            &chapter("Renamed", "Second text.\n\n```rust\nfn main() {}\n```\n"),
        );
        let event = content.reload().await;
        assert!(event.outline_changed);
        assert_eq!(event.changed, ["one", "two"]);
    }

    #[tokio::test]
    async fn an_edit_that_does_not_load_is_rejected_and_the_last_good_version_stays() {
        let dir = directory();
        let content = Content::new(
            dir.path().to_owned(),
            Library::load(dir.path()).unwrap(),
            true,
        );
        write(
            dir.path(),
            "c/one.md",
            "+++\ntitle = \"One\"\n+++\nNo order.\n",
        );
        let event = content.reload().await;
        let reason = event.rejected.expect("a broken front matter is rejected");
        assert!(reason.contains("one.md"), "names the file: {reason}");
        assert_eq!(event.version, 1, "still serving the first version");
        assert!(event.changed.is_empty());
        assert!(first_prose(&content).contains("First text."));

        // A malformed block does not stop the chapter: it is served with the block's problem.
        write(
            dir.path(),
            "c/one.md",
            &chapter("One", "Fixed.\n\n```rust,bogus\nfn main() {}\n```\n"),
        );
        let event = content.reload().await;
        assert_eq!((event.version, event.rejected.as_deref()), (2, None));
        assert_eq!(event.problems.len(), 1, "{:?}", event.problems);
        assert!(
            event.problems[0].contains("one.md:9: unknown attribute `bogus`"),
            "{:?}",
            event.problems
        );
    }

    #[test]
    fn the_outline_lists_what_progress_is_counted_against() {
        let dir = directory();
        write(
            dir.path(),
            "c/one.md",
            &chapter(
                "One",
                "- [ ] Run it\n\n```rust\nfn main() {}\n```\n\n```rust,ignore\nnot counted\n```\n\n\
                 ````exercise,id=double\nDo it.\n\n```rust,starter\nfn f() {}\n```\n\n```rust,tests\n#[test]\nfn t() {}\n```\n\n```rust,solution\nfn f() {}\n```\n````\n",
            ),
        );
        let library = Library::load(dir.path()).unwrap();
        let courses = course_list(&library);
        let one = &courses.courses[0].chapters[0];
        assert_eq!(one.slug, "one");
        assert_eq!(
            one.examples.len(),
            1,
            "only the runnable block: {:?}",
            one.examples
        );
        assert_eq!(one.exercises, ["double"]);
        assert_eq!(one.tasks.len(), 1);
        assert!(one.tasks[0].starts_with("t-"));
        assert_eq!(one.part, None);
        assert!(courses.courses[0].parts.is_empty());
    }

    #[tokio::test]
    async fn the_watcher_reloads_a_saved_file_by_itself() {
        let dir = directory();
        let content = Content::watched(
            dir.path().to_owned(),
            Library::load(dir.path()).unwrap(),
            Duration::from_millis(20),
        )
        .await;
        let mut updates = content.subscribe();
        updates.borrow_and_update();
        write(
            dir.path(),
            "c/two.md",
            &chapter("Two", "Saved.\n\n```rust\nfn main() {}\n```\n"),
        );
        tokio::time::timeout(Duration::from_secs(10), updates.changed())
            .await
            .expect("the watcher noticed the save within 10 s")
            .unwrap();
        let event = updates.borrow().event.clone();
        assert_eq!((event.version, event.changed), (2, vec!["two".to_owned()]));
    }
}
