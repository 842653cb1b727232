use api_types::{ChapterSummary, CourseSummary};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::CoursesResource;
use crate::components::progress::{ProgressBar, ProgressFile, ProgressStore, StatusLine};
use crate::components::status::{ErrorList, Loading};
use crate::pages::not_found::NotFound;
use crate::progress::ChapterStatus;

/// `/courses/:slug`: a course's parts and chapters with their minutes, and the learner's progress
/// through them, with export and import of that progress.
#[component]
pub fn CoursePage() -> impl IntoView {
    let params = use_params_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let CoursesResource(courses) = expect_context::<CoursesResource>();
    view! {
        <section class="course-page">
            <Transition fallback=|| view! { <Loading label="Loading the course…" /> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorList errors /> }>
                    {move || Suspend::new(async move {
                        let list = courses.await?;
                        let wanted = slug.get();
                        Ok::<_, crate::api::ApiFailure>(
                            match list.courses.into_iter().find(|c| c.slug == wanted) {
                                Some(course) => view! { <CourseBody course /> }.into_any(),
                                None => view! { <NotFound /> }.into_any(),
                            },
                        )
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[component]
fn CourseBody(
    /// The course to show.
    course: CourseSummary,
) -> impl IntoView {
    document().set_title(&format!("{} · Rust Mastery Playground", course.title));
    let store = expect_context::<ProgressStore>();
    let minutes: u32 = course.chapters.iter().map(|c| c.minutes).sum();
    let chapters = StoredValue::new(course.chapters.clone());
    let read =
        move || chapters.with_value(|all| all.iter().filter(|c| store.is_read(&c.slug)).count());
    let total = course.chapters.len();
    let totals = move || {
        let mut sum = ChapterStatus::default();
        chapters.with_value(|all| all.iter().for_each(|c| sum.add(store.status(c))));
        sum
    };
    let next = move || {
        chapters.with_value(|all| {
            all.iter()
                .find(|c| !store.status(c).complete())
                .map(|c| (c.slug.clone(), c.title.clone()))
        })
    };
    let groups = if course.parts.is_empty() {
        view! { <ChapterTable chapters=course.chapters.clone() /> }.into_any()
    } else {
        course
            .parts
            .iter()
            .map(|part| {
                let in_part: Vec<ChapterSummary> = course
                    .chapters
                    .iter()
                    .filter(|c| c.part.as_deref() == Some(part.id.as_str()))
                    .cloned()
                    .collect();
                let part_minutes: u32 = in_part.iter().map(|c| c.minutes).sum();
                let count = in_part.len();
                view! {
                    <section class="course-part" id=format!("part-{}", part.id)>
                        <h2>{part.title.clone()}</h2>
                        {(!part.summary.is_empty()).then(|| view! { <p class="summary">{part.summary.clone()}</p> })}
                        <p class="meta">{format!("{} · about {}", chapter_count(count), hours(part_minutes))}</p>
                        <ChapterTable chapters=in_part />
                    </section>
                }
            })
            .collect_view()
            .into_any()
    };
    view! {
        <header class="course-header">
            <p class="breadcrumb"><A href="/">"Courses"</A></p>
            <h1>{course.title.clone()}</h1>
            <p class="summary">{course.summary.clone()}</p>
            <p class="meta">{format!("{} · about {}", chapter_count(total), hours(minutes))}</p>
            <div class="course-progress">
                <ProgressBar done=Signal::derive(read) total label="chapters read" />
                <p>{move || view! { <StatusLine status=totals() /> }}</p>
                {move || next().map(|(slug, title)| view! {
                    <A href=format!("/learn/{slug}") attr:class="continue">{format!("Continue: {title} →")}</A>
                })}
            </div>
            <ProgressFile />
        </header>
        {groups}
    }
}

/// The chapters of a course or part: title, minutes, summary and the learner's progress.
#[component]
fn ChapterTable(
    /// In teaching order.
    chapters: Vec<ChapterSummary>,
) -> impl IntoView {
    let store = expect_context::<ProgressStore>();
    view! {
        <ol class="course-chapters">
            {chapters
                .into_iter()
                .map(|chapter| {
                    let for_status = chapter.clone();
                    let status = Memo::new(move |_| store.status(&for_status));
                    view! {
                        <li class:complete=move || status.get().complete() class:read=move || status.get().read>
                            <div class="chapter-line">
                                <A href=format!("/learn/{}", chapter.slug)>{chapter.title.clone()}</A>
                                <span class="minutes">{format!("{} min", chapter.minutes)}</span>
                                <span class="chapter-state">
                                    {move || {
                                        let s = status.get();
                                        if s.complete() {
                                            "✓ Done"
                                        } else if s.read {
                                            "Read"
                                        } else {
                                            ""
                                        }
                                    }}
                                </span>
                            </div>
                            <p class="chapter-summary">{chapter.summary.clone()}</p>
                            <p class="chapter-progress">{move || view! { <StatusLine status=status.get() /> }}</p>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
}

/// "1 chapter", "16 chapters".
pub fn chapter_count(count: usize) -> String {
    if count == 1 {
        "1 chapter".to_owned()
    } else {
        format!("{count} chapters")
    }
}

/// "50 min", "2 h 10 min".
pub fn hours(minutes: u32) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}
