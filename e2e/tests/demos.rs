//! The in-browser demos on their own pages, driven like a student would.

use e2e::Harness;

/// Fills the order form and submits it.
async fn place(h: &Harness, side: &str, kind: &str, price: &str, quantity: &str, account: &str) {
    h.click(&format!(".side-toggle .{side}")).await;
    h.select("select[name=kind]", kind).await;
    for (name, value) in [("price", price), ("quantity", quantity)] {
        let input = h
            .find_waiting(&format!("input[name={name}]"), "to type into")
            .await;
        input.clear().await.unwrap();
        input.send_keys(value).await.unwrap();
    }
    h.select("select[name=account]", account).await;
    h.click(".order-entry button[type=submit]").await;
}

/// The depth ladder's rows as "side price quantity orders", top to bottom.
async fn ladder(h: &Harness) -> Vec<String> {
    let rows = h
        .client
        .execute(
            "return [...document.querySelectorAll('.ladder tr.ask, .ladder tr.bid')]
                .map(r => r.className + ' ' + [...r.cells].slice(0, 3).map(c => c.textContent).join(' '))",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(rows).unwrap()
}

async fn text_of(h: &Harness, css: &str) -> String {
    h.find_waiting(css, "to read").await.text().await.unwrap()
}

#[tokio::test]
async fn crossing_orders_trade_and_bad_orders_are_rejected_with_a_reason() {
    let h = Harness::start().await;
    h.goto("/demos/matching-engine").await;
    h.wait_for_text("h1", "A limit-order-book matching engine")
        .await;

    place(&h, "sell", "gtc", "10005", "30", "1").await;
    h.wait_for_contains(".ladder", "10005").await;
    assert_eq!(
        h.count(".tape tbody tr").await,
        0,
        "no trade while nothing crosses"
    );

    place(&h, "buy", "gtc", "10005", "12", "2").await;
    let tape = h.wait_for_contains(".tape tbody", "10005").await;
    assert!(
        tape.contains("12"),
        "the trade's quantity is on the tape: {tape}"
    );
    let log = text_of(&h, ".event-log").await;
    assert!(log.contains("fill S1: 12 @ 10005"), "{log}");
    // 18 of the 30 remain at the ask, in one order.
    assert_eq!(ladder(&h).await, ["ask 10005 18 1"]);

    place(&h, "buy", "gtc", "10005", "0", "2").await;
    h.wait_for_contains(".event-log", "the quantity must be positive")
        .await;
    assert!(
        text_of(&h, ".ladder").await.contains("10005 18 1"),
        "a reject leaves the book untouched"
    );
    h.close().await;
}

#[tokio::test]
async fn the_preset_schedule_shows_aba_corrupting_the_naive_stack() {
    let h = Harness::start().await;
    h.goto("/demos/lock-free").await;
    h.wait_for_text("h1", "Interleaving explorer").await;
    let step = || async {
        h.click(".preset-step").await;
    };
    let cas_step = lockfree::explorer::Scenario::ABA_CAS_STEP;
    for _ in 0..cas_step {
        step().await;
    }
    h.wait_for_contains(".timeline", &format!("{cas_step}"))
        .await;
    assert_eq!(
        h.count(".violation-box").await,
        0,
        "the stack is intact before the stale CAS"
    );

    step().await;
    let violation = h
        .wait_for_contains(".violation-box", "Corrupted at step")
        .await;
    assert!(
        violation.contains(&format!("Corrupted at step {}:", cas_step + 1)),
        "{violation}"
    );
    assert!(
        violation.contains("on the free list but reachable from head"),
        "{violation}"
    );
    assert!(
        h.count(".memory .corrupt").await > 0,
        "the corrupted node is drawn as such"
    );
    assert!(
        h.count(".timeline .breaks").await == 1,
        "the breaking step is marked"
    );

    h.click("button[title='Undo the last step']").await;
    h.wait_for_contains(".ok-box", "Invariants hold").await;
    h.close().await;
}

#[tokio::test]
async fn the_tagged_stack_survives_the_same_schedule() {
    let h = Harness::start().await;
    h.goto("/demos/lock-free").await;
    h.wait_for_text("h1", "Interleaving explorer").await;
    h.select("select[aria-label=Scenario]", "1").await;
    h.wait_for_contains(".scenario-description", "tag").await;
    h.click(".run-preset").await;
    h.wait_for_contains(".ok-box", "Invariants hold").await;
    assert_eq!(h.count(".violation-box").await, 0);
    h.close().await;
}

#[tokio::test]
async fn a_chapter_mounts_the_explorer_inline() {
    let h = Harness::start().await;
    h.goto("/learn/atomics-lock-free").await;
    h.wait_for_text(".chapter-header h1", "Atomics and a first lock-free stack")
        .await;
    assert_eq!(
        h.count(".embedded-demo .explorer").await,
        1,
        "the demo block became a live explorer"
    );
    h.click(".embedded-demo .run-preset").await;
    h.wait_for_contains(".embedded-demo .violation-box", "reachable from head")
        .await;
    h.close().await;
}
