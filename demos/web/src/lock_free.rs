//! The interleaving explorer: step simulated threads through a lock-free algorithm one atomic
//! operation at a time, watch memory change, and see the exact step where ABA corrupts a stack.

use leptos::prelude::*;
use lockfree::explorer::{
    Explorer, Memory, RingMemory, Scenario, SearchLimits, StackMemory, ThreadView, find_violation,
};
use wasm_bindgen::JsCast;

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
            let steps = e.history().len();
            e.history()
                .iter()
                .map(|step| {
                    let breaks = broken_at == Some(step.index);
                    let current = step.index + 1 == steps;
                    let cas = step.cas_succeeded.map(|ok| {
                        let (mark, words) = if ok { ("✓", "succeeded") } else { ("✗", "failed") };
                        view! {
                            " "
                            <span aria-hidden="true">{mark}</span>
                            <span class="visually-hidden">{words}</span>
                        }
                    });
                    view! {
                        <li
                            class=format!("step t{}", step.thread)
                            class:breaks=breaks
                            class:current=current
                            aria-current=current.then_some("step")
                            // The stylesheet has no rule for the current step yet: outline it here.
                            style=current.then_some("outline: 2px solid var(--thread); outline-offset: -2px")
                        >
                            <span class="step-number">{step.index + 1}</span>
                            <span class="step-thread-label">{format!("T{}", step.thread)}</span>
                            <span class="step-op">{step.label()}{cas}</span>
                            <span class="step-text">{step.description.clone()}</span>
                        </li>
                    }
                })
                .collect_view()
        })
    };

    // Keep the newest step visible in the timeline's own scroll box (the page itself stays put).
    let timeline_list = NodeRef::<leptos::html::Ol>::new();
    Effect::new(move || {
        version.track();
        // After the timeline has re-rendered for this version.
        request_animation_frame(move || {
            if let Some(list) = timeline_list.get_untracked() {
                follow_current_step(&list);
            }
        });
    });

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
                <p class="meta scenario-description">
                    {move || with_emphasis(&with(|e| e.scenario().description().to_owned()))}
                </p>
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
                    <ol class="timeline" node_ref=timeline_list>{timeline}</ol>
                </section>
            </div>
        </div>
    }
}

/// Scrolls `list` by the least amount that shows its last item (the current step) whole,
/// smoothly unless the reader asked for reduced motion.
fn follow_current_step(list: &web_sys::Element) {
    let Some(current) = list.last_element_child() else {
        return;
    };
    let (area, item) = (
        list.get_bounding_client_rect(),
        current.get_bounding_client_rect(),
    );
    let delta = if item.top() < area.top() {
        item.top() - area.top()
    } else if item.bottom() > area.bottom() {
        // A step taller than the box shows its start.
        (item.bottom() - area.bottom()).min(item.top() - area.top())
    } else {
        return;
    };
    let reduce_motion = window()
        .match_media("(prefers-reduced-motion: reduce)")
        .ok()
        .flatten()
        .is_some_and(|query| query.matches());
    let options = js_sys::Object::new();
    let set = |key: &str, value: wasm_bindgen::JsValue| {
        let _ = js_sys::Reflect::set(&options, &key.into(), &value);
    };
    set("top", delta.into());
    set(
        "behavior",
        if reduce_motion { "auto" } else { "smooth" }.into(),
    );
    // `element.scrollBy({ top, behavior })`, called through JavaScript so no extra web-sys
    // features are needed.
    let scroll_by = js_sys::Reflect::get(list, &"scrollBy".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    match scroll_by {
        Some(scroll_by) => {
            let _ = scroll_by.call1(list, &options);
        }
        None => list.set_scroll_top(list.scroll_top() + delta.round() as i32),
    }
}

/// `text` with Markdown-style `*emphasis*` shown as emphasis; an unpaired `*` stays as written.
fn with_emphasis(text: &str) -> Vec<AnyView> {
    let parts: Vec<&str> = text.split('*').collect();
    if parts.len().is_multiple_of(2) {
        return vec![text.to_owned().into_any()];
    }
    parts
        .into_iter()
        .enumerate()
        .filter(|(_, part)| !part.is_empty())
        .map(|(i, part)| {
            let part = part.to_owned();
            if i % 2 == 1 {
                view! { <em>{part}</em> }.into_any()
            } else {
                part.into_any()
            }
        })
        .collect()
}

/// What a node of the pool is at this step, shown in words inside its box (and by its border).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NodeState {
    /// Reachable from `head`.
    InStack,
    /// Neither free nor in the stack, held privately by a thread.
    Held,
    /// Neither free, nor in the stack, nor held by anyone: lost.
    Leaked,
    /// Back in the pool, free to be allocated again.
    Free,
    /// Free yet reachable from `head`: the corruption ABA causes.
    Corrupt,
}

impl NodeState {
    fn of(node: &lockfree::explorer::NodeCell) -> NodeState {
        match (node.on_free_list, node.in_stack) {
            (true, true) => NodeState::Corrupt,
            (true, false) => NodeState::Free,
            (false, true) => NodeState::InStack,
            (false, false) if node.held_by.is_empty() => NodeState::Leaked,
            (false, false) => NodeState::Held,
        }
    }

    /// The word written in the node's box.
    fn word(self) -> &'static str {
        match self {
            NodeState::InStack => "in stack",
            NodeState::Held => "held",
            NodeState::Leaked => "leaked",
            NodeState::Free => "free",
            NodeState::Corrupt => "corrupt",
        }
    }

    /// The stylesheet's class for the node's group (border style and colour).
    fn class(self) -> &'static str {
        match self {
            NodeState::InStack => "node live",
            NodeState::Held | NodeState::Leaked => "node held",
            NodeState::Free => "node free",
            NodeState::Corrupt => "node corrupt",
        }
    }

    /// The look of its box, for the legend's sample. These repeat the `.memory` rules of
    /// style.css: the sample must not carry the diagram's classes, or selectors such as
    /// `.memory .corrupt` would find the legend instead of a corrupted node.
    fn swatch_style(self) -> &'static str {
        match self {
            NodeState::InStack => "fill: var(--bg-raised); stroke: #1f8a55; stroke-width: 2",
            NodeState::Held | NodeState::Leaked => {
                "fill: var(--bg-raised); stroke: var(--focus); stroke-width: 2"
            }
            NodeState::Free => {
                "fill: var(--bg-raised); stroke: var(--border); stroke-width: 2; stroke-dasharray: 5 4; opacity: 0.6"
            }
            NodeState::Corrupt => {
                "fill: color-mix(in srgb, #d92d20 15%, var(--bg-raised)); stroke: #d92d20; stroke-width: 3"
            }
        }
    }

    /// What the word means, for the legend.
    fn meaning(self) -> &'static str {
        match self {
            NodeState::InStack => "reachable from head",
            NodeState::Held => "a thread is using it privately (the box names the thread)",
            NodeState::Leaked => "not free, not in the stack, and no thread holds it: lost",
            NodeState::Free => "back in the pool, so the next push may reuse it",
            NodeState::Corrupt => "free, yet still reachable from head: the stack is broken",
        }
    }
}

// Layout of the stack drawing, in SVG units.
const BOX_WIDTH: f64 = 118.0;
const BOX_GAP: f64 = 36.0;
const BOX_TOP: f64 = 78.0;
const BOX_HEIGHT: f64 = 62.0;
const BOX_BOTTOM: f64 = BOX_TOP + BOX_HEIGHT;
/// Height of the whole drawing: room below the boxes for arrows that curve round them.
const STACK_HEIGHT: f64 = 190.0;

fn box_x(node: usize) -> f64 {
    20.0 + node as f64 * (BOX_WIDTH + BOX_GAP)
}

/// The SVG path of `from.next = to`. To the neighbour on the right it is a short straight arrow
/// across the gap; any other arrow curves below the boxes so it never crosses a node in
/// between (`A.next = C` must not read as A → B → C). An arrow pointing right leaves from the
/// right part of its box and dips less than one pointing back, so opposite arrows stay apart.
fn next_arrow_path(from: usize, to: usize) -> String {
    let (x, target) = (box_x(from), box_x(to));
    if to == from + 1 {
        return format!(
            "M{},{} L{target},{}",
            x + BOX_WIDTH,
            BOX_TOP + 22.0,
            BOX_TOP + 22.0
        );
    }
    let (start, end, depth) = if to > from {
        (x + BOX_WIDTH * 0.7, target + BOX_WIDTH * 0.3, 36.0)
    } else {
        (x + BOX_WIDTH * 0.4, target + BOX_WIDTH * 0.6, 56.0)
    };
    let (y, low) = (BOX_BOTTOM, BOX_BOTTOM + depth);
    format!("M{start},{y} C{start},{low} {end},{low} {end},{y}")
}

/// Boxes and arrows: `head`, then every node with its `next` pointer, and a legend in words.
#[component]
fn StackPicture(
    /// The stack's memory at this step.
    stack: StackMemory,
) -> impl IntoView {
    let name = |node: usize| stack.nodes[node].name.clone();
    let head_label = match (stack.head, stack.tag) {
        (Some(node), Some(tag)) => format!("head → {} · tag {tag}", name(node)),
        (Some(node), None) => format!("head → {}", name(node)),
        (None, Some(tag)) => format!("head → nil · tag {tag}"),
        (None, None) => "head → nil".to_owned(),
    };
    let width = box_x(stack.nodes.len()) + 20.0;
    let head_arrow = stack.head.map(|node| {
        let x = box_x(node) + BOX_WIDTH / 2.0;
        view! { <line class="arrow head-arrow" x1="70" y1="38" x2=x y2=BOX_TOP marker-end="url(#arrowhead)" /> }
    });
    // The drawing in words, for screen readers.
    let mut spoken = Vec::new();
    let nodes = stack
        .nodes
        .iter()
        .map(|node| {
            let x = box_x(node.id);
            let state = NodeState::of(node);
            let value = node.value.map_or("–".to_owned(), |v| v.to_string());
            let next = node.next.map_or("nil".to_owned(), name);
            let held = if node.held_by.is_empty() {
                String::new()
            } else {
                let threads: Vec<String> = node.held_by.iter().map(|t| format!("T{t}")).collect();
                format!("held by {}", threads.join(" "))
            };
            spoken.push(format!(
                "{}: {}, value {value}, next {next}{}",
                node.name,
                state.word(),
                if held.is_empty() { String::new() } else { format!(", {held}") }
            ));
            let arrow = node.next.map(|target| {
                view! {
                    <path
                        class="arrow"
                        class:back=target <= node.id
                        d=next_arrow_path(node.id, target)
                        marker-end="url(#arrowhead)"
                    />
                }
            });
            view! {
                <g class=state.class()>
                    <rect x=x y=BOX_TOP width=BOX_WIDTH height=BOX_HEIGHT rx="6" />
                    <text x=x + 8.0 y=BOX_TOP + 19.0 class="node-name">{node.name.clone()}</text>
                    <text x=x + BOX_WIDTH - 8.0 y=BOX_TOP + 19.0 text-anchor="end" class="node-detail node-state">
                        {state.word()}
                    </text>
                    <text x=x + 8.0 y=BOX_TOP + 38.0 class="node-detail">{format!("{value} · next {next}")}</text>
                    <text x=x + 8.0 y=BOX_TOP + 54.0 class="held">{held}</text>
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
    let legend = [
        NodeState::InStack,
        NodeState::Held,
        NodeState::Free,
        NodeState::Corrupt,
        NodeState::Leaked,
    ]
    .into_iter()
    .map(|state| {
        view! {
            <li style="display: inline-flex; align-items: center; gap: 0.35rem">
                <svg viewBox="0 0 30 18" aria-hidden="true" style="width: 1.8rem; height: 1.1rem; flex: none">
                    <rect x="2" y="2" width="26" height="14" rx="3" style=state.swatch_style() />
                </svg>
                <span><strong>{state.word()}</strong>{format!(": {}", state.meaning())}</span>
            </li>
        }
    })
    .collect_view();
    let spoken_head = match (stack.head, stack.tag) {
        (Some(node), Some(tag)) => format!("head points to {} with tag {tag}", name(node)),
        (Some(node), None) => format!("head points to {}", name(node)),
        (None, Some(tag)) => format!("head is nil with tag {tag}"),
        (None, None) => "head is nil".to_owned(),
    };
    spoken.insert(0, spoken_head);
    view! {
        <svg
            class="memory"
            viewBox=format!("0 0 {width} {STACK_HEIGHT}")
            // Grows with the reader's text size, so its labels stay as large as the text beside it.
            style=format!("max-width: calc({}px * var(--font-scale))", width * 1.4)
            role="img"
            aria-label=format!("Stack memory. {}.", spoken.join(". "))
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
        <ul class="meta memory-legend" aria-label="Legend" style="list-style: none; padding: 0; margin: 0.3rem 0; display: flex; flex-wrap: wrap; gap: 0.3rem 1.2rem">
            {legend}
            <li>
                "Arrows are " <code>"next"</code> " pointers; one that skips nodes or points back curves below the boxes."
            </li>
        </ul>
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
