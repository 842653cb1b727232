use super::*;

const A: NodeId = 0;
const B: NodeId = 1;
const C: NodeId = 2;

fn stack_memory(explorer: &Explorer) -> StackMemory {
    explorer
        .memory()
        .as_stack()
        .expect("stack scenario")
        .clone()
}

fn outcomes(explorer: &Explorer, thread: ThreadId) -> Vec<OpOutcome> {
    explorer.threads()[thread].outcomes.clone()
}

#[test]
fn initial_stack_is_a_b_c_with_nothing_free() {
    let explorer = Explorer::new(Scenario::naive_stack_aba());
    let memory = stack_memory(&explorer);
    assert_eq!(memory.head, Some(A));
    assert_eq!(memory.tag, None, "the naive stack has no tag");
    assert_eq!(memory.chain, vec![A, B, C]);
    assert_eq!(memory.contents(), vec![Some(10), Some(20), Some(30)]);
    assert_eq!(memory.free_bits, 0);
    assert!(memory.nodes.iter().all(|n| n.in_stack && !n.on_free_list));
    assert_eq!(memory.nodes[B].next, Some(C));
    assert_eq!(memory.nodes[C].next, None);
    assert_eq!(explorer.runnable_threads(), vec![0, 1]);
    assert!(explorer.check_invariants().is_empty());
    assert_eq!(
        stack_memory(&Explorer::new(Scenario::tagged_stack_aba())).tag,
        Some(0)
    );
}

#[test]
fn aba_schedule_corrupts_the_naive_stack_at_the_stale_cas() {
    let mut explorer = Explorer::new(Scenario::naive_stack_aba());
    explorer.run_schedule(&Scenario::aba_schedule()).unwrap();

    let (step, violations) = explorer.first_violation().expect("ABA must show");
    assert_eq!(step, Scenario::ABA_CAS_STEP);
    assert_eq!(step, 17);
    assert!(violations.contains(&Violation::FreedNodeReachable { node: B }));

    let cas = &explorer.history()[step];
    assert_eq!(cas.thread, 0);
    assert_eq!(cas.kind, OpKind::CompareExchange);
    assert_eq!(cas.location, Location::StackHead);
    assert_eq!(cas.read, Some(Value::Node(Some(A))), "head is A again…");
    assert_eq!(
        cas.written,
        Some(Value::Node(Some(B))),
        "…so stale B goes in"
    );
    assert_eq!(cas.cas_succeeded, Some(true));

    let memory = stack_memory(&explorer);
    assert_eq!(memory.head, Some(B));
    assert!(memory.nodes[B].on_free_list && memory.nodes[B].in_stack);

    // Finishing T0 leaves value 20 both returned (by T1) and in the stack.
    explorer.run_to_completion();
    assert!(explorer.is_finished());
    let violations = explorer.check_invariants();
    assert!(violations.contains(&Violation::FreedNodeReachable { node: B }));
    assert!(violations.contains(&Violation::DuplicateValue { value: 20 }));
    assert_eq!(outcomes(&explorer, 0), vec![OpOutcome::Popped(40)]);
}

#[test]
fn aba_schedule_on_the_tagged_stack_fails_the_cas_and_retries() {
    let mut explorer = Explorer::new(Scenario::tagged_stack_aba());
    for &thread in &Scenario::aba_schedule() {
        explorer.step(thread).unwrap();
        assert_eq!(explorer.check_invariants(), vec![], "after {thread}");
    }
    let cas = &explorer.history()[Scenario::ABA_CAS_STEP];
    assert_eq!(cas.kind, OpKind::CompareExchange);
    assert_eq!(cas.cas_succeeded, Some(false));
    assert_eq!(
        cas.read,
        Some(Value::TaggedNode {
            node: Some(A),
            tag: 3
        })
    );

    explorer.run_to_completion();
    assert!(explorer.is_finished());
    assert_eq!(explorer.first_violation(), None);
    let memory = stack_memory(&explorer);
    assert_eq!(memory.contents(), vec![Some(30)]);
    assert_eq!(memory.tag, Some(4), "four successful CAS operations");
    assert_eq!(memory.free_bits, 0b011, "A and B are free");
    assert_eq!(outcomes(&explorer, 0), vec![OpOutcome::Popped(40)]);
    assert_eq!(
        outcomes(&explorer, 1),
        vec![
            OpOutcome::Popped(10),
            OpOutcome::Popped(20),
            OpOutcome::Pushed
        ]
    );
}

#[test]
fn stepping_back_then_forward_reproduces_identical_states() {
    let mut explorer = Explorer::new(Scenario::naive_stack_aba());
    let schedule = Scenario::aba_schedule();
    let mut memories = vec![explorer.memory()];
    let mut threads = vec![explorer.threads()];
    for &thread in &schedule {
        explorer.step(thread).unwrap();
        memories.push(explorer.memory());
        threads.push(explorer.threads());
    }
    let forward = explorer.clone();

    for expected in (0..schedule.len()).rev() {
        let undone = explorer.step_back().expect("a step to undo");
        assert_eq!(undone.index, expected);
        assert_eq!(explorer.memory(), memories[expected]);
        assert_eq!(explorer.threads(), threads[expected]);
        assert_eq!(explorer.history().len(), expected);
    }
    assert_eq!(explorer.step_back(), None);
    assert_eq!(explorer, Explorer::new(Scenario::naive_stack_aba()));

    explorer.run_schedule(&schedule).unwrap();
    assert_eq!(explorer, forward, "history, snapshots and state all equal");

    // Undo in the middle, then redo the same step.
    explorer.undo();
    explorer.step(*schedule.last().unwrap()).unwrap();
    assert_eq!(explorer, forward);
}

#[test]
fn replaying_the_schedule_gives_the_same_explorer() {
    let mut first = Explorer::new(Scenario::naive_stack_aba());
    first.run_schedule(&[1, 0, 1, 1, 0, 0, 1, 0]).unwrap();
    let mut second = Explorer::new(Scenario::naive_stack_aba());
    second.run_schedule(&first.schedule()).unwrap();
    assert_eq!(first, second);
    second.reset();
    assert_eq!(second, Explorer::new(Scenario::naive_stack_aba()));
}

#[test]
fn step_errors_are_reported_and_change_nothing() {
    let mut explorer = Explorer::new(Scenario::naive_stack_aba());
    assert_eq!(
        explorer.step(7),
        Err(StepError::NoSuchThread {
            thread: 7,
            thread_count: 2
        })
    );
    for _ in 0..5 {
        explorer.step(0).unwrap(); // T0's whole pop()
    }
    assert_eq!(outcomes(&explorer, 0), vec![OpOutcome::Popped(10)]);
    let before = explorer.clone();
    assert_eq!(
        explorer.step(0),
        Err(StepError::ThreadFinished { thread: 0 })
    );
    assert_eq!(explorer, before);
    assert_eq!(explorer.runnable_threads(), vec![1]);
}

#[test]
fn step_info_describes_the_operation() {
    let mut explorer = Explorer::new(Scenario::tagged_stack_aba());
    let first = explorer.step(0).unwrap();
    assert_eq!(first.index, 0);
    assert_eq!(first.operation, "pop()");
    assert_eq!(first.kind, OpKind::Load);
    assert_eq!(first.description, "T0 pop(): load head → A (tag 0)");
    let second = explorer.step(0).unwrap();
    assert_eq!(second.location, Location::Next(A));
    assert_eq!(second.read, Some(Value::Node(Some(B))));
    let view = &explorer.threads()[0];
    assert_eq!(
        view.next_step.as_deref(),
        Some("CAS head: expect A (tag 0), new B (tag 1)")
    );
    assert!(view.locals.contains(&("next".to_owned(), "B".to_owned())));
}

#[test]
fn pop_on_empty_and_push_on_full_pool_finish_in_one_step() {
    let scenario = Scenario::stack(
        StackFlavor::Tagged,
        1,
        vec![5],
        vec![vec![Op::Push(6), Op::Pop, Op::Pop]],
    )
    .unwrap();
    let mut explorer = Explorer::new(scenario);
    let full = explorer.step(0).unwrap();
    assert_eq!(full.outcome, Some(OpOutcome::Full));
    explorer.run_to_completion();
    assert_eq!(
        outcomes(&explorer, 0),
        vec![OpOutcome::Full, OpOutcome::Popped(5), OpOutcome::Empty]
    );
    assert!(explorer.check_invariants().is_empty());
}

#[test]
fn search_finds_aba_in_the_naive_stack() {
    let report = find_violation(&Scenario::naive_stack_aba(), SearchLimits::default());
    let found = report.counterexample.expect("naive stack must break");
    // Replaying the counterexample breaks the invariant at its last step.
    let mut explorer = Explorer::new(Scenario::naive_stack_aba());
    explorer.run_schedule(&found.schedule).unwrap();
    assert_eq!(
        explorer.first_violation(),
        Some((found.schedule.len() - 1, found.violations.clone()))
    );
    assert!(found.violations.iter().any(|v| matches!(
        v,
        Violation::FreedNodeReachable { .. } | Violation::LeakedNode { .. }
    )));
}

#[test]
fn search_finds_nothing_in_the_tagged_stack() {
    let report = find_violation(&Scenario::tagged_stack_aba(), SearchLimits::default());
    assert_eq!(report.counterexample, None);
    assert!(report.exhaustive);
    assert!(report.distinct_states > 100);
    assert!(report.final_states >= 1);
}

#[test]
fn one_preemption_is_enough_for_aba() {
    let bounded = |max| SearchLimits {
        max_preemptions: Some(max),
        ..SearchLimits::default()
    };
    let none = find_violation(&Scenario::naive_stack_aba(), bounded(0));
    assert!(none.counterexample.is_none() && none.exhaustive);
    let one = find_violation(&Scenario::naive_stack_aba(), bounded(1));
    assert!(one.counterexample.is_some());
}

#[test]
fn search_stops_at_the_state_limit() {
    let limits = SearchLimits {
        max_states: 10,
        ..SearchLimits::default()
    };
    let report = find_violation(&Scenario::tagged_stack_aba(), limits);
    assert_eq!(report.states_explored, 10);
    assert!(!report.exhaustive);
}

#[test]
fn a_three_thread_stack_scenario_is_sound_when_tagged() {
    let programs = vec![
        vec![Op::Pop, Op::Push(40)],
        vec![Op::Push(50), Op::Pop],
        vec![Op::Pop],
    ];
    let tagged = Scenario::stack(StackFlavor::Tagged, 4, vec![10, 20], programs.clone()).unwrap();
    let report = find_violation(&tagged, SearchLimits::default());
    assert_eq!(report.counterexample, None);
    assert!(report.exhaustive);
    let naive = Scenario::stack(StackFlavor::Naive, 4, vec![10, 20], programs).unwrap();
    assert!(
        find_violation(&naive, SearchLimits::default())
            .counterexample
            .is_some()
    );
}

#[test]
fn ring_preset_wraps_around_and_delivers_in_order() {
    let mut explorer = Explorer::new(Scenario::spsc_ring());
    explorer.run_preset().unwrap();
    assert!(explorer.is_finished());
    assert_eq!(explorer.first_violation(), None);
    assert_eq!(
        outcomes(&explorer, 1),
        vec![
            OpOutcome::Popped(1),
            OpOutcome::Popped(2),
            OpOutcome::Popped(3)
        ]
    );
    let ring = explorer.memory().as_ring().unwrap().clone();
    assert_eq!((ring.head, ring.tail), (3, 3));
    assert_eq!(ring.slots, vec![Some(3), Some(2)], "3 reused slot 0");
    assert_eq!(explorer.threads()[0].role, "producer");
}

#[test]
fn ring_reports_full_and_empty() {
    let mut explorer = Explorer::new(Scenario::spsc_ring());
    let empty = explorer.step(1).unwrap();
    assert_eq!(empty.outcome, Some(OpOutcome::Empty));
    explorer.run_schedule(&[0; 6]).unwrap(); // push 1, push 2
    let full = explorer.step(0).unwrap();
    assert_eq!(full.outcome, Some(OpOutcome::Full));
    assert_eq!(outcomes(&explorer, 0).last(), Some(&OpOutcome::Full));
    explorer.run_to_completion();
    assert_eq!(
        outcomes(&explorer, 1),
        vec![OpOutcome::Empty, OpOutcome::Popped(1), OpOutcome::Popped(2)]
    );
    assert!(explorer.check_invariants().is_empty());
}

#[test]
fn publishing_before_writing_lets_the_consumer_read_garbage() {
    let mut explorer = Explorer::new(Scenario::spsc_ring_publish_too_early());
    explorer.run_preset().unwrap();
    let (step, violations) = explorer.first_violation().unwrap();
    assert_eq!(step, 3, "the consumer's read of slot 0");
    assert_eq!(explorer.history()[step].location, Location::Slot(0));
    assert_eq!(
        violations,
        vec![Violation::RingOutOfOrder {
            position: 0,
            expected: Some(1),
            received: None
        }]
    );
    assert_eq!(outcomes(&explorer, 1), vec![OpOutcome::PoppedUninit]);
}

#[test]
fn search_separates_the_correct_ring_from_the_buggy_one() {
    let correct = find_violation(&Scenario::spsc_ring(), SearchLimits::default());
    assert_eq!(correct.counterexample, None);
    assert!(correct.exhaustive);
    let buggy = find_violation(
        &Scenario::spsc_ring_publish_too_early(),
        SearchLimits::default(),
    );
    assert!(buggy.counterexample.is_some());
}

#[test]
fn every_preset_schedule_runs_to_the_end() {
    for scenario in Scenario::all() {
        assert!(!scenario.name().is_empty() && !scenario.description().is_empty());
        let mut explorer = Explorer::new(scenario.clone());
        explorer
            .run_preset()
            .unwrap_or_else(|e| panic!("{}: {e}", scenario.name()));
        explorer.run_to_completion();
        assert!(explorer.is_finished(), "{}", scenario.name());
    }
}

#[test]
fn invalid_custom_scenarios_are_rejected() {
    assert!(Scenario::stack(StackFlavor::Naive, 65, vec![], vec![vec![]]).is_err());
    assert!(Scenario::stack(StackFlavor::Naive, 1, vec![1, 2], vec![vec![]]).is_err());
    let duplicate = Scenario::stack(StackFlavor::Naive, 4, vec![1], vec![vec![Op::Push(1)]]);
    assert!(duplicate.unwrap_err().to_string().contains("value 1"));
    assert!(Scenario::ring(3, false, vec![1], 1).is_err());
    assert!(Scenario::stack(StackFlavor::Naive, 2, vec![], vec![]).is_err());
}

#[test]
fn display_helpers_read_naturally() {
    assert_eq!(node_name(0), "A");
    assert_eq!(node_name(27), "N27");
    assert_eq!(Value::Bitmap(0b101).to_string(), "{A, C}");
    assert_eq!(Location::Next(B).to_string(), "B.next");
    assert_eq!(
        Violation::FreedNodeReachable { node: B }.to_string(),
        "node B is on the free list but reachable from head"
    );
}

#[test]
fn step_labels_name_the_node_an_allocate_or_free_acts_on() {
    let mut explorer = Explorer::new(Scenario::naive_stack_aba());
    explorer.run_schedule(&Scenario::aba_schedule()).unwrap();
    let labels: Vec<String> = explorer.history().iter().map(StepInfo::label).collect();
    // T0 reads head and A.next, then T1 pops A, pops B and pushes 40 into recycled A.
    assert_eq!(
        labels[..9],
        [
            "load head",
            "load A.next",
            "load head",
            "load A.next",
            "CAS head",
            "load A.value",
            "free A",
            "load head",
            "load B.next",
        ]
    );
    assert_eq!(labels[11], "free B");
    assert_eq!(labels[12], "allocate A");
    assert_eq!(labels[13], "store A.value");
    assert!(
        !labels.iter().any(|l| l.ends_with(" free")),
        "the free bitmap is never shown as a node: {labels:?}"
    );

    let full = Scenario::stack(StackFlavor::Naive, 1, vec![1], vec![vec![Op::Push(2)]]).unwrap();
    let mut explorer = Explorer::new(full);
    let step = explorer.step(0).unwrap();
    assert_eq!(step.node, None);
    assert_eq!(step.label(), "allocate: pool full");
}
