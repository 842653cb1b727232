use leptos::prelude::*;
use leptos_router::components::A;

use crate::CoursesResource;
use crate::components::progress::{ProgressBar, ProgressStore};
use crate::components::status::{ErrorList, Loading};
use crate::pages::course::{chapter_count, hours};

/// The home page: every course and its chapters.
#[component]
pub fn CourseIndex() -> impl IntoView {
    let CoursesResource(courses) = expect_context::<CoursesResource>();
    document().set_title("Rust Mastery Playground");
    view! {
        <section class="course-index">
            <div class="hero">
                <h1>"Learn advanced Rust by running it"</h1>
                <p>
                    "Every example in every chapter is real code you can read, change and run. Pick a course to begin."
                </p>
            </div>
            <div class="demo-cards">
                <A href="/demos/matching-engine" attr:class="demo-card">
                    <strong>"Matching engine"</strong>
                    <span>"Place orders against a real limit-order book, then benchmark it in your browser."</span>
                </A>
                <A href="/demos/lock-free" attr:class="demo-card">
                    <strong>"Lock-free explorer"</strong>
                    <span>"Step two threads through a lock-free stack and watch ABA corrupt it."</span>
                </A>
            </div>
            <Transition fallback=|| view! { <Loading label="Loading courses…" /> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorList errors /> }>
                    {move || Suspend::new(async move {
                        courses
                            .await
                            .map(|list| {
                                list.courses
                                    .into_iter()
                                    .map(|course| view! { <CourseCard course /> })
                                    .collect_view()
                            })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

/// One course: its summary, the learner's progress, and its parts (or, for a short course, its
/// chapters).
#[component]
fn CourseCard(
    /// The course to show.
    course: api_types::CourseSummary,
) -> impl IntoView {
    let store = expect_context::<ProgressStore>();
    let total: u32 = course.chapters.iter().map(|c| c.minutes).sum();
    let count = course.chapters.len();
    let slugs = StoredValue::new(
        course
            .chapters
            .iter()
            .map(|c| c.slug.clone())
            .collect::<Vec<_>>(),
    );
    let read = move || slugs.with_value(|all| all.iter().filter(|s| store.is_read(s)).count());
    let href = format!("/courses/{}", course.slug);
    let contents = if course.parts.is_empty() {
        view! {
            <ol class="chapter-list">
                {course
                    .chapters
                    .into_iter()
                    .map(|chapter| {
                        view! {
                            <li>
                                <A href=format!("/learn/{}", chapter.slug)>{chapter.title}</A>
                                <span class="minutes">{format!("{} min", chapter.minutes)}</span>
                                <p class="chapter-summary">{chapter.summary}</p>
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        }
        .into_any()
    } else {
        let parts = course
            .parts
            .iter()
            .map(|part| {
                let in_part = course
                    .chapters
                    .iter()
                    .filter(|c| c.part.as_deref() == Some(part.id.as_str()))
                    .count();
                let href = format!("/courses/{}#part-{}", course.slug, part.id);
                let (title, summary) = (part.title.clone(), part.summary.clone());
                view! {
                    <li>
                        <A href=href>{title}</A>
                        <span class="minutes">{chapter_count(in_part)}</span>
                        <p class="chapter-summary">{summary}</p>
                    </li>
                }
            })
            .collect_view();
        view! { <ol class="chapter-list part-list">{parts}</ol> }.into_any()
    };
    view! {
        <article class="course-card" id=format!("course-{}", course.slug)>
            <h2><A href=href.clone()>{course.title}</A></h2>
            <p class="summary">{course.summary}</p>
            <p class="meta">{format!("{} · about {}", chapter_count(count), hours(total))}</p>
            <div class="course-progress">
                <ProgressBar done=Signal::derive(read) total=count label="chapters read" />
                <A href=href attr:class="continue">"Course page and progress →"</A>
            </div>
            {contents}
        </article>
    }
}
