//! The interleaving explorer: step simulated threads through a lock-free algorithm one atomic
//! operation at a time, watch memory change, and see the exact step where ABA corrupts a stack.

use leptos::prelude::*;
use lockfree::explorer::{
    Explorer, Memory, RingMemory, Scenario, SearchLimits, StackMemory, ThreadView, find_violation,
};

/// The full demo page.
#[component]
pub fn LockFreePage() -> impl IntoView {
    document().set_title("Lock-free explorer · Rust Mastery Playground");
    view! {
        <section class="demo-page">
            <h1>"Interleaving explorer"</h1>
            <p class="summary">
                "Run two threads over a lock-free stack or ring one atomic operation at a time. Choose who moves next, \
                 step back, or replay the schedule that breaks the naive stack, and watch memory as it happens."
            </p>
            <LockFreeExplorer />
        </section>
    }
}

/// The explorer with its scenario picker, controls, timeline, memory and threads.
#[component]
pub fn LockFreeExplorer() -> impl IntoView {
    let scenarios = Scenario::all();
    let explorer = StoredValue::new(Explorer::new(scenarios[0].clone()));
    let version = RwSignal::new(0u64);
    let search_note = RwSignal::new(None::<String>);
    let changed = move || version.update(|v| *v += 1);

    let pick = {
        let scenarios = scenarios.clone();
        move |ev| {
            let index: usize = event_target_value(&ev).parse().unwrap_or(0);
            explorer.set_value(Explorer::new(scenarios[index].clone()));
            search_note.set(None);
            changed();
        }
    };
    let with = move |f: fn(&Explorer) -> String| {
        version.track();
        explorer.with_value(f)
    };

    let preset_step = move |_| {
        explorer.update_value(|e| {
            let next = e
                .scenario()
                .preset_schedule()
                .get(e.history().len())
                .copied();
            if let Some(thread) = next {
                let _ = e.step(thread);
            }
        });
        changed();
    };
    let preset_all = move |_| {
        explorer.update_value(|e| {
            e.reset();
            let _ = e.run_preset();
        });
        changed();
    };
    let back = move |_| {
        explorer.update_value(|e| {
            e.step_back();
        });
        changed();
    };
    let reset = move |_| {
        explorer.update_value(Explorer::reset);
        changed();
    };
    let search = move |_| {
        let scenario = explorer.with_value(|e| e.scenario().clone());
        let report = find_violation(&scenario, SearchLimits::default());
        let note = match report.counterexample {
            Some(found) => {
                let schedule: Vec<String> =
                    found.schedule.iter().map(|t| format!("T{t}")).collect();
                explorer.update_value(|e| {
                    e.reset();
                    let _ = e.run_schedule(&found.schedule);
                });
                format!(
                    "Found a breaking schedule after exploring {} states, and replayed it: {}",
                    report.states_explored,
                    schedule.join(" ")
                )
            }
            None => format!(
                "No interleaving breaks this scenario: all {} distinct states were checked{}.",
                report.distinct_states,
                if report.exhaustive {
                    ""
                } else {
                    " (search stopped at its limit)"
                }
            ),
        };
        search_note.set(Some(note));
        changed();
    };

    let thread_buttons = move || {
        version.track();
        let (count, runnable) = explorer.with_value(|e| (e.thread_count(), e.runnable_threads()));
        (0..count)
            .map(|thread| {
                let can_run = runnable.contains(&thread);
                view! {
                    <button
                        class=format!("step-thread t{thread}")
                        disabled=!can_run
                        on:click=move |_| {
                            explorer.update_value(|e| {
                                let _ = e.step(thread);
                            });
                            changed();
                        }
                    >
                        {format!("Step T{thread}")}
                    </button>
                }
            })
            .collect_view()
    };

    let timeline = move || {
        version.track();
        explorer.with_value(|e| {
            let broken_at = e.first_violation().map(|(index, _)| index);
            e.history()
                .iter()
                .map(|step| {
                    let breaks = broken_at == Some(step.index);
                    let cas = match step.cas_succeeded {
                        Some(true) => " ✓",
                        Some(false) => " ✗",
                        None => "",
                    };
                    view! {
                        <li class=format!("step t{}", step.thread) class:breaks=breaks>
                            <span class="step-number">{step.index + 1}</span>
                            <span class="step-thread-label">{format!("T{}", step.thread)}</span>
                            <span class="step-op">{format!("{} {}{cas}", step.kind, step.location)}</span>
                            <span class="step-text">{step.description.clone()}</span>
                        </li>
                    }
                })
                .collect_view()
        })
    };

    let violations = move || {
        version.track();
        explorer.with_value(|e| {
            let now = e.check_invariants();
            if now.is_empty() {
                view! { <p class="ok-box">"Invariants hold: every value is in the stack exactly once or held by a thread."</p> }
                    .into_any()
            } else {
                let at = e.first_violation().map(|(i, _)| i + 1).unwrap_or(0);
                view! {
                    <div class="violation-box" role="alert">
                        <strong>{format!("Corrupted at step {at}:")}</strong>
                        <ul>{now.iter().map(|v| view! { <li>{v.to_string()}</li> }).collect_view()}</ul>
                    </div>
                }
                .into_any()
            }
        })
    };

    let memory = move || {
        version.track();
        match explorer.with_value(Explorer::memory) {
            Memory::Stack(stack) => view! { <StackPicture stack /> }.into_any(),
            Memory::Ring(ring) => view! { <RingPicture ring /> }.into_any(),
        }
    };

    let threads = move || {
        version.track();
        explorer
            .with_value(Explorer::threads)
            .into_iter()
            .map(|thread| view! { <ThreadCard thread /> })
            .collect_view()
    };

    view! {
        <div class="explorer">
            <div class="explorer-controls">
                <label>
                    "Scenario "
                    <select on:change=pick aria-label="Scenario">
                        {scenarios
                            .iter()
                            .enumerate()
                            .map(|(i, s)| view! { <option value=i.to_string()>{s.name().to_owned()}</option> })
                            .collect_view()}
                    </select>
                </label>
                <p class="meta scenario-description">{move || with(|e| e.scenario().description().to_owned())}</p>
                <div class="order-tools">
                    {thread_buttons}
                    <button on:click=back title="Undo the last step">"◀ Back"</button>
                    <button on:click=reset>"Reset"</button>
                </div>
                <div class="order-tools">
                    <button class="primary preset-step" on:click=preset_step>
                        "Next step of the preset schedule"
                    </button>
                    <button class="run-preset" on:click=preset_all>"Run the whole preset"</button>
                    <button on:click=search>"Search for a breaking schedule"</button>
                </div>
                {move || search_note.get().map(|n| view! { <p class="meta search-note">{n}</p> })}
            </div>
            <div class="explorer-panels">
                <section class="memory-panel">
                    <h2>"Memory"</h2>
                    {memory}
                    {violations}
                </section>
                <section>
                    <h2>"Threads"</h2>
                    <div class="thread-cards">{threads}</div>
                </section>
                <section class="timeline-panel">
                    <h2>"Timeline"</h2>
                    <ol class="timeline">{timeline}</ol>
                </section>
            </div>
        </div>
    }
}

/// Boxes and arrows: `head`, then every node with its `next` pointer.
#[component]
fn StackPicture(
    /// The stack's memory at this step.
    stack: StackMemory,
) -> impl IntoView {
    let box_width = 118.0;
    let gap = 36.0;
    let x_of = |node: usize| 20.0 + node as f64 * (box_width + gap);
    let head_label = match (stack.head, stack.tag) {
        (Some(node), Some(tag)) => format!("head → {} · tag {tag}", stack.nodes[node].name),
        (Some(node), None) => format!("head → {}", stack.nodes[node].name),
        (None, Some(tag)) => format!("head → nil · tag {tag}"),
        (None, None) => "head → nil".to_owned(),
    };
    let width = x_of(stack.nodes.len()) + 20.0;
    let head_arrow = stack.head.map(|node| {
        let x = x_of(node) + box_width / 2.0;
        view! { <line class="arrow head-arrow" x1="70" y1="38" x2=x y2="78" marker-end="url(#arrowhead)" /> }
    });
    let nodes = stack
        .nodes
        .iter()
        .map(|node| {
            let x = x_of(node.id);
            let class = if node.on_free_list && node.in_stack {
                "node corrupt"
            } else if node.on_free_list {
                "node free"
            } else if node.in_stack {
                "node live"
            } else {
                "node held"
            };
            let value = node.value.map_or("–".to_owned(), |v| v.to_string());
            let next = node.next.map_or("nil".to_owned(), |n| stack.nodes[n].name.clone());
            let held = if node.held_by.is_empty() {
                String::new()
            } else {
                node.held_by.iter().map(|t| format!("T{t}")).collect::<Vec<_>>().join(" ")
            };
            let arrow = node.next.map(|target| {
                let (x1, x2) = (x + box_width, x_of(target));
                // Forward arrows go straight; backward ones curve below the boxes.
                if x2 > x1 {
                    view! { <path class="arrow" d=format!("M{x1},100 L{x2},100") marker-end="url(#arrowhead)" /> }.into_any()
                } else {
                    let (sx, ex) = (x + box_width / 2.0, x2 + box_width / 2.0);
                    view! {
                        <path class="arrow back" d=format!("M{sx},124 C{sx},170 {ex},170 {ex},124") marker-end="url(#arrowhead)" />
                    }
                    .into_any()
                }
            });
            view! {
                <g class=class>
                    <rect x=x y="78" width=box_width height="46" rx="6" />
                    <text x=x + 8.0 y="97" class="node-name">{node.name.clone()}</text>
                    <text x=x + 8.0 y="116" class="node-detail">{format!("{value} · next {next}")}</text>
                    <text x=x + box_width / 2.0 y="148" text-anchor="middle" class="held">{held}</text>
                    {arrow}
                </g>
            }
        })
        .collect_view();
    let contents: Vec<String> = stack
        .contents()
        .iter()
        .map(|v| v.map_or("?".to_owned(), |v| v.to_string()))
        .collect();
    view! {
        <svg
            class="memory"
            viewBox=format!("0 0 {width} 180")
            style=format!("max-width: {}px", width * 1.4)
            role="img"
            aria-label="Stack memory"
        >
            <defs>
                <marker id="arrowhead" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                    <path d="M0,0 L10,5 L0,10 z" />
                </marker>
            </defs>
            <rect class="head-box" x="10" y="10" width="190" height="28" rx="6" />
            <text x="20" y="29" class="head-label">{head_label}</text>
            {head_arrow}
            {nodes}
        </svg>
        <p class="meta stack-contents">
            {format!(
                "From head: [{}]{}",
                contents.join(", "),
                if stack.chain_has_cycle { " … and round again (a cycle)" } else { "" },
            )}
        </p>
    }
}

/// The ring's slots with its head and tail indices.
#[component]
fn RingPicture(
    /// The ring's memory at this step.
    ring: RingMemory,
) -> impl IntoView {
    let slots = ring
        .slots
        .iter()
        .enumerate()
        .map(|(i, slot)| {
            let x = 20.0 + i as f64 * 70.0;
            let mut marks = Vec::new();
            if ring.head % ring.capacity == i {
                marks.push("head");
            }
            if ring.tail % ring.capacity == i {
                marks.push("tail");
            }
            view! {
                <g class="slot">
                    <rect x=x y="40" width="60" height="40" rx="6" />
                    <text x=x + 30.0 y="65" text-anchor="middle">{slot.map_or("–".to_owned(), |v| v.to_string())}</text>
                    <text x=x + 30.0 y="100" text-anchor="middle" class="held">{marks.join(" ")}</text>
                </g>
            }
        })
        .collect_view();
    view! {
        <svg class="memory" viewBox=format!("0 0 {} 120", 40.0 + ring.capacity as f64 * 70.0) role="img" aria-label="Ring memory">
            <text x="20" y="25" class="head-label">{format!("head = {} · tail = {}", ring.head, ring.tail)}</text>
            {slots}
        </svg>
    }
}

/// One simulated thread: its program, where it is, and its private variables.
#[component]
fn ThreadCard(
    /// The thread to show.
    thread: ThreadView,
) -> impl IntoView {
    let program = thread
        .program
        .iter()
        .enumerate()
        .map(|(i, op)| {
            let current = thread.current_op == Some(i);
            view! { <li class:current=current>{op.clone()}</li> }
        })
        .collect_view();
    let locals = thread
        .locals
        .iter()
        .map(|(name, value)| view! { <li><code>{format!("{name} = {value}")}</code></li> })
        .collect_view();
    let outcomes: Vec<String> = thread.outcomes.iter().map(ToString::to_string).collect();
    view! {
        <article class=format!("thread-card t{}", thread.id)>
            <h3>
                {if thread.role.is_empty() {
                    format!("T{}", thread.id)
                } else {
                    format!("T{} · {}", thread.id, thread.role)
                }}
            </h3>
            <ol class="program">{program}</ol>
            <p class="meta">{thread.next_step.clone().unwrap_or_else(|| "finished".to_owned())}</p>
            <ul class="locals">{locals}</ul>
            <p class="meta">{format!("results: [{}]", outcomes.join(", "))}</p>
        </article>
    }
}
