//! The class dashboard: for the teacher's current exercise, how many students ran it, compiled
//! it and passed each test. Counts only, never names; large enough to project.

use api_types::room::Dashboard;
use leptos::prelude::*;

/// A bar with its count, as a share of the students in the room.
#[component]
fn Bar(
    /// What is counted.
    label: String,
    /// How many students.
    count: Signal<u32>,
    /// Out of how many.
    of: Signal<u32>,
) -> impl IntoView {
    let percent = move || {
        let of = of.get();
        (count.get().min(of) * 100).checked_div(of).unwrap_or(0)
    };
    view! {
        <div class="dash-row">
            <span class="dash-label">{label}</span>
            <span class="dash-bar" aria-hidden="true">
                <span class="dash-fill" style=move || format!("width: {}%", percent())></span>
            </span>
            <span class="dash-count">{move || format!("{} of {}", count.get(), of.get())}</span>
        </div>
    }
}

#[component]
pub fn ClassDashboard(
    /// The dashboard as the room last sent it.
    #[prop(into)]
    dashboard: Signal<Dashboard>,
) -> impl IntoView {
    let of = Signal::derive(move || dashboard.with(|d| d.students.max(d.ran)));
    view! {
        <section class="class-dashboard" aria-label="Class dashboard" aria-live="polite">
            // The exercise by the title the class sees on the projector; its id is for machines.
            <h2 class="dash-title">
                {move || dashboard.with(|d| match &d.exercise {
                    Some(exercise) => exercise.title.clone(),
                    None => "No exercise at this point".to_owned(),
                })}
            </h2>
            <Bar label="Ran it".to_owned() count=Signal::derive(move || dashboard.with(|d| d.ran)) of />
            <Bar label="Compiled".to_owned() count=Signal::derive(move || dashboard.with(|d| d.compiled)) of />
            {move || {
                dashboard
                    .with(|d| d.tests.clone())
                    .into_iter()
                    .map(|test| {
                        let passed = test.passed;
                        view! {
                            <Bar label=format!("Passed {}", test.name) count=Signal::derive(move || passed) of />
                        }
                    })
                    .collect_view()
            }}
        </section>
    }
}
