use leptos::prelude::*;
use leptos_router::components::A;

use crate::CoursesResource;
use crate::components::status::{ErrorList, Loading};

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

/// One course with its chapter list.
#[component]
fn CourseCard(
    /// The course to show.
    course: api_types::CourseSummary,
) -> impl IntoView {
    let total: u32 = course.chapters.iter().map(|c| c.minutes).sum();
    view! {
        <article class="course-card" id=format!("course-{}", course.slug)>
            <h2>{course.title}</h2>
            <p class="summary">{course.summary}</p>
            <p class="meta">{format!("{} chapters · about {} min", course.chapters.len(), total)}</p>
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
        </article>
    }
}
