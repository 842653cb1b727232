//! The matching-engine demo: order entry, a live depth ladder, a trade tape, an event log, and a
//! benchmark of the same engine running in this browser tab.

use std::collections::VecDeque;

use leptos::prelude::*;
use matching_engine::flow::{self, FlowConfig, FlowGenerator};
use matching_engine::{
    CancelOrder, CancelReason, Command, Engine, Event, ModifyOrder, NewOrder, OrderId, OrderType,
    OwnerId, RejectReason, SelfTradePrevention, Side, SymbolId, TimeInForce,
};

use crate::demos::engine_bench::{self, BenchResult};

/// Manual orders get ids far above the generator's, so the two never collide.
const FIRST_MANUAL_ID: u64 = 1_000_000_000;
const LOG_LINES: usize = 200;
const TAPE_ROWS: usize = 50;
const LADDER_LEVELS: usize = 8;

/// One trade on the tape.
#[derive(Clone, Debug, PartialEq)]
struct Trade {
    sequence: usize,
    symbol: SymbolId,
    price: i64,
    quantity: u64,
    taker_side: Side,
    maker: OrderId,
    taker: OrderId,
}

/// Everything the demo keeps between interactions.
struct DemoState {
    engine: Engine,
    generator: FlowGenerator,
    next_manual_id: u64,
    log: VecDeque<String>,
    tape: VecDeque<Trade>,
    trades: usize,
    events: Vec<Event>,
}

impl DemoState {
    fn new() -> DemoState {
        let config = flow::demo_engine_config(SelfTradePrevention::CancelResting);
        DemoState {
            engine: Engine::new(config).expect("the demo configuration is valid"),
            generator: FlowGenerator::new(FlowConfig::new(flow::demo_symbols()), 7),
            next_manual_id: FIRST_MANUAL_ID,
            log: VecDeque::new(),
            tape: VecDeque::new(),
            trades: 0,
            events: Vec::new(),
        }
    }

    /// Applies one command and records what it caused.
    fn apply(&mut self, command: Command) {
        self.events.clear();
        self.engine.apply(&command, &mut self.events);
        for event in &self.events {
            if let Event::Fill {
                symbol,
                maker_order_id,
                taker_order_id,
                taker_side,
                price,
                quantity,
                ..
            } = *event
            {
                self.trades += 1;
                self.tape.push_front(Trade {
                    sequence: self.trades,
                    symbol,
                    price,
                    quantity,
                    taker_side,
                    maker: maker_order_id,
                    taker: taker_order_id,
                });
                self.tape.truncate(TAPE_ROWS);
            }
            self.log.push_front(describe(event));
        }
        self.log.truncate(LOG_LINES);
    }

    fn next_id(&mut self) -> OrderId {
        self.next_manual_id += 1;
        OrderId(self.next_manual_id)
    }
}

/// An event in words, for the log.
fn describe(event: &Event) -> String {
    match *event {
        Event::Accepted {
            order_id,
            symbol,
            owner,
            side,
            order_type,
            quantity,
        } => {
            let kind = match order_type {
                OrderType::Limit {
                    price,
                    time_in_force,
                } => format!("limit {price} {time_in_force:?}"),
                OrderType::Market => "market".to_owned(),
            };
            format!("accepted {order_id} {symbol} {owner}: {side:?} {quantity} {kind}")
        }
        Event::Fill {
            symbol,
            maker_order_id,
            taker_order_id,
            taker_side,
            price,
            quantity,
            maker_remaining,
            taker_remaining,
        } => format!(
            "fill {symbol}: {quantity} @ {price}, taker {taker_order_id} ({taker_side:?}, {taker_remaining} left) vs maker {maker_order_id} ({maker_remaining} left)"
        ),
        Event::Cancelled {
            order_id,
            quantity,
            reason,
            ..
        } => format!(
            "cancelled {order_id}: {quantity} ({})",
            cancel_reason(reason)
        ),
        Event::Rejected {
            order_id,
            command,
            reason,
        } => format!("rejected {command:?} {order_id}: {}", reject_reason(reason)),
        Event::Modified {
            order_id,
            price,
            quantity,
            ..
        } => format!("modified {order_id}: now {quantity} @ {price}"),
        Event::BookUpdate {
            symbol,
            side,
            price,
            quantity,
            ..
        } => format!("book {symbol} {side:?} {price}: {quantity}"),
    }
}

fn cancel_reason(reason: CancelReason) -> &'static str {
    match reason {
        CancelReason::UserRequested => "you asked",
        CancelReason::IocRemainder => "immediate-or-cancel remainder",
        CancelReason::MarketRemainder => "market order found no more liquidity",
        CancelReason::SelfTradePrevention => "it would have traded with the same account",
    }
}

fn reject_reason(reason: RejectReason) -> &'static str {
    match reason {
        RejectReason::NonPositiveQuantity => "the quantity must be positive",
        RejectReason::QuantityTooLarge => "the quantity is larger than this symbol allows",
        RejectReason::QuantityNotLotMultiple => "the quantity is not a multiple of the lot size",
        RejectReason::PriceOffTick => "the price is not on the tick grid",
        RejectReason::PriceOutOfBand => "the price is outside the symbol's band",
        RejectReason::UnknownSymbol => "no such symbol",
        RejectReason::UnknownOrderId => "no resting order has that id",
        RejectReason::DuplicateOrderId => "an order with that id is still resting",
        RejectReason::FokNotFillable => "fill-or-kill could not be filled completely",
        RejectReason::BookFull => "the book is full",
    }
}

/// The full demo page.
#[component]
pub fn MatchingEnginePage() -> impl IntoView {
    document().set_title("Matching engine · Rust Mastery Playground");
    view! {
        <section class="demo-page">
            <h1>"A limit-order-book matching engine"</h1>
            <p class="summary">
                "The fintech capstone's engine, compiled to WebAssembly and running in this tab: price-time priority, \
                 GTC, IOC and FOK limits, market orders, cancels and modifies, and self-trade prevention. \
                 Nothing is sent to a server."
            </p>
            <MatchingEngineDemo />
            <EngineBenchmark />
        </section>
    }
}

/// Order entry, depth ladder, trade tape and event log around one engine.
#[component]
pub fn MatchingEngineDemo() -> impl IntoView {
    let state = StoredValue::new(DemoState::new());
    // Bumped after every change to the engine, so views re-read it.
    let version = RwSignal::new(0u64);
    let symbol = RwSignal::new(SymbolId(1));
    let side = RwSignal::new(Side::Buy);
    let order_kind = RwSignal::new("gtc".to_owned());
    let price = RwSignal::new("10000".to_owned());
    let quantity = RwSignal::new("10".to_owned());
    let account = RwSignal::new(1u32);
    let target_id = RwSignal::new(String::new());
    let form_error = RwSignal::new(None::<String>);

    let apply = move |command: Command| {
        state.update_value(|s| s.apply(command));
        version.update(|v| *v += 1);
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let parse = |text: String, what: &str| {
            text.trim()
                .parse::<i64>()
                .map_err(|_| format!("{what} must be a whole number"))
        };
        let order = (|| -> Result<Command, String> {
            let quantity = parse(quantity.get_untracked(), "Quantity")?;
            let kind = order_kind.get_untracked();
            let order_type = if kind == "market" {
                OrderType::Market
            } else {
                let time_in_force = match kind.as_str() {
                    "ioc" => TimeInForce::Ioc,
                    "fok" => TimeInForce::Fok,
                    _ => TimeInForce::Gtc,
                };
                OrderType::Limit {
                    price: parse(price.get_untracked(), "Price")?,
                    time_in_force,
                }
            };
            let order_id = state
                .try_update_value(|s| s.next_id())
                .expect("state lives");
            Ok(Command::New(NewOrder {
                order_id,
                symbol: symbol.get_untracked(),
                owner: OwnerId(account.get_untracked()),
                side: side.get_untracked(),
                order_type,
                quantity,
            }))
        })();
        match order {
            Ok(command) => {
                form_error.set(None);
                apply(command);
            }
            Err(message) => form_error.set(Some(message)),
        }
    };
    let target = move || {
        target_id
            .get_untracked()
            .trim()
            .trim_start_matches('#')
            .parse::<u64>()
            .map(OrderId)
            .map_err(|_| "Order id must be a number such as 1000000001".to_owned())
    };
    let cancel = move |_| match target() {
        Ok(order_id) => {
            form_error.set(None);
            apply(Command::Cancel(CancelOrder { order_id }));
        }
        Err(message) => form_error.set(Some(message)),
    };
    let modify = move |_| {
        let parsed = target().and_then(|order_id| {
            let new_price = price.get_untracked().trim().parse::<i64>();
            let new_quantity = quantity.get_untracked().trim().parse::<i64>();
            match (new_price, new_quantity) {
                (Ok(new_price), Ok(new_quantity)) => Ok(ModifyOrder {
                    order_id,
                    new_price,
                    new_quantity,
                }),
                _ => Err("Price and quantity must be whole numbers".to_owned()),
            }
        });
        match parsed {
            Ok(modify) => {
                form_error.set(None);
                apply(Command::Modify(modify));
            }
            Err(message) => form_error.set(Some(message)),
        }
    };
    let seed = move |_| {
        state.update_value(|s| {
            for _ in 0..300 {
                let command = s.generator.next_command(&s.engine);
                s.apply(command);
            }
        });
        version.update(|v| *v += 1);
    };
    let reset = move |_| {
        state.set_value(DemoState::new());
        version.update(|v| *v += 1);
    };

    let ladder = move || {
        version.track();
        let symbol = symbol.get();
        let depth = state
            .with_value(|s| s.engine.depth(symbol, LADDER_LEVELS))
            .unwrap_or_default();
        let widest = depth
            .bids
            .iter()
            .chain(&depth.asks)
            .map(|l| l.quantity)
            .max()
            .unwrap_or(1)
            .max(1);
        let row = move |level: matching_engine::LevelSummary, side: &'static str| {
            let width = format!("width: {}%", level.quantity * 100 / widest);
            view! {
                <tr class=side>
                    <td class="num">{level.price}</td>
                    <td class="num">{level.quantity}</td>
                    <td class="num">{level.order_count}</td>
                    <td class="bar-cell">
                        <span class="bar" style=width></span>
                    </td>
                </tr>
            }
        };
        let asks = depth
            .asks
            .iter()
            .rev()
            .map(|&l| row(l, "ask"))
            .collect_view();
        let bids = depth.bids.iter().map(|&l| row(l, "bid")).collect_view();
        let spread = match (depth.bids.first(), depth.asks.first()) {
            (Some(bid), Some(ask)) => format!("spread {}", ask.price - bid.price),
            _ => "one side is empty".to_owned(),
        };
        view! {
            <table class="ladder" aria-label="Order book depth">
                <thead>
                    <tr>
                        <th>"Price"</th>
                        <th>"Quantity"</th>
                        <th>"Orders"</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>
                    {asks}
                    <tr class="spread">
                        <td colspan="4">{spread}</td>
                    </tr>
                    {bids}
                </tbody>
            </table>
        }
    };
    let tape = move || {
        version.track();
        state.with_value(|s| {
            s.tape
                .iter()
                .map(|t| {
                    let class = if t.taker_side == Side::Buy {
                        "bid"
                    } else {
                        "ask"
                    };
                    view! {
                        <tr class=class>
                            <td class="num">{t.sequence}</td>
                            <td>{t.symbol.to_string()}</td>
                            <td class="num">{t.price}</td>
                            <td class="num">{t.quantity}</td>
                            <td>{format!("{:?}", t.taker_side)}</td>
                            <td>{format!("{} ← {}", t.maker, t.taker)}</td>
                        </tr>
                    }
                })
                .collect_view()
        })
    };
    let log = move || {
        version.track();
        state.with_value(|s| {
            s.log
                .iter()
                .map(|line| view! { <li>{line.clone()}</li> })
                .collect_view()
        })
    };
    let resting = move || {
        version.track();
        state.with_value(|s| s.engine.resting_order_count())
    };

    view! {
        <div class="engine-demo">
            <form class="order-entry" on:submit=submit aria-label="Order entry">
                <label>
                    "Symbol"
                    <select name="symbol" on:change=move |ev| {
                        symbol.set(SymbolId(event_target_value(&ev).parse().unwrap_or(1)))
                    }>
                        {flow::demo_symbols()
                            .into_iter()
                            .map(|c| {
                                let id = c.symbol.0;
                                view! {
                                    <option value=id.to_string()>
                                        {format!("{} (tick {}, lot {})", c.symbol, c.tick_size, c.lot_size)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <div class="side-toggle" role="group" aria-label="Side">
                    {[(Side::Buy, "buy", "Buy"), (Side::Sell, "sell", "Sell")]
                        .into_iter()
                        .map(|(value, class, label)| {
                            view! {
                                <button
                                    type="button"
                                    class=class
                                    class:selected=move || side.get() == value
                                    on:click=move |_| side.set(value)
                                >
                                    {label}
                                </button>
                            }
                        })
                        .collect_view()}
                </div>
                <label>
                    "Type"
                    <select name="kind" on:change=move |ev| order_kind.set(event_target_value(&ev))>
                        <option value="gtc">"Limit, good till cancelled"</option>
                        <option value="ioc">"Limit, immediate or cancel"</option>
                        <option value="fok">"Limit, fill or kill"</option>
                        <option value="market">"Market"</option>
                    </select>
                </label>
                <NumberField label="Price" name="price" value=price />
                <NumberField label="Quantity" name="quantity" value=quantity />
                <label>
                    "Account"
                    <select name="account" on:change=move |ev| account.set(event_target_value(&ev).parse().unwrap_or(1))>
                        <option value="1">"A1"</option>
                        <option value="2">"A2"</option>
                    </select>
                </label>
                <button type="submit" class="primary">"Place order"</button>
                <div class="order-tools">
                    <label>
                        "Order id"
                        <input
                            name="order-id"
                            placeholder="#1000000001"
                            prop:value=target_id
                            on:input=move |ev| target_id.set(event_target_value(&ev))
                        />
                    </label>
                    <button type="button" on:click=cancel>"Cancel"</button>
                    <button type="button" on:click=modify title="Uses the price and quantity above">"Modify"</button>
                </div>
                <div class="order-tools">
                    <button type="button" on:click=seed>"Add 300 realistic orders"</button>
                    <button type="button" on:click=reset>"Empty the book"</button>
                    <span class="meta">{move || match resting() {
                        1 => "1 order resting".to_owned(),
                        n => format!("{n} orders resting"),
                    }}</span>
                </div>
                {move || form_error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            </form>
            <div class="engine-panels">
                <section>
                    <h2>"Depth"</h2>
                    {ladder}
                </section>
                <section>
                    <h2>"Trades"</h2>
                    <table class="tape" aria-label="Trade tape">
                        <thead>
                            <tr>
                                <th>"#"</th>
                                <th>"Symbol"</th>
                                <th>"Price"</th>
                                <th>"Qty"</th>
                                <th>"Taker"</th>
                                <th>"Maker ← taker"</th>
                            </tr>
                        </thead>
                        <tbody>{tape}</tbody>
                    </table>
                </section>
                <section class="event-log">
                    <h2>"Events"</h2>
                    <ol reversed>{log}</ol>
                </section>
            </div>
        </div>
    }
}

/// A labelled text box for a whole number, bound to `value`.
#[component]
fn NumberField(
    /// The visible label.
    label: &'static str,
    /// The input's `name`, used by tests and forms.
    name: &'static str,
    /// The text as typed; parsed when the form is submitted, so errors can be explained.
    value: RwSignal<String>,
) -> impl IntoView {
    view! {
        <label>
            {label}
            <input
                name=name
                inputmode="numeric"
                prop:value=value
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        </label>
    }
}

/// Replays the native benchmark's workload here and draws throughput and a latency histogram.
#[component]
pub fn EngineBenchmark() -> impl IntoView {
    let size = RwSignal::new(500_000usize);
    let running = RwSignal::new(false);
    let result = RwSignal::new(None::<BenchResult>);
    let start = move |_| {
        running.set(true);
        result.set(None);
        // Give the browser a frame to show "Running…" before the tab is busy.
        set_timeout(
            move || {
                let performance = window().performance().expect("performance is available");
                let measured = engine_bench::run(size.get_untracked(), 3, || performance.now());
                result.set(Some(measured));
                running.set(false);
            },
            std::time::Duration::from_millis(30),
        );
    };
    view! {
        <section class="bench">
            <h2>"Benchmark in your browser"</h2>
            <p>
                "Replays a generated flow (limits near the touch, markets, cancels, modifies; the same seed as the native benchmark) \
                 after a warm-up of 300 000 commands, three times, and keeps the best run."
            </p>
            <div class="order-tools">
                <label>
                    "Commands"
                    <select name="bench-size" on:change=move |ev| size.set(event_target_value(&ev).parse().unwrap_or(500_000))>
                        <option value="100000">"100 000"</option>
                        <option value="500000" selected>"500 000"</option>
                        <option value="2000000">"2 000 000 (as natively)"</option>
                    </select>
                </label>
                <button class="primary run-bench" on:click=start disabled=move || running.get()>
                    "Run benchmark"
                </button>
                <Show when=move || running.get()>
                    <span class="loading-inline">
                        <span class="spinner" aria-hidden="true"></span>
                        "Running… (the tab is busy for a few seconds)"
                    </span>
                </Show>
            </div>
            {move || result.get().map(|r| view! { <BenchReport result=r /> })}
        </section>
    }
}

/// Throughput and the histogram of per-batch latency.
#[component]
fn BenchReport(
    /// The measured run.
    result: BenchResult,
) -> impl IntoView {
    let bins = result.histogram(24);
    let tallest = bins.iter().map(|(_, c)| *c).max().unwrap_or(1).max(1) as f64;
    let bar_width = 600.0 / bins.len() as f64;
    let bars = bins
        .iter()
        .enumerate()
        .map(|(i, (edge, count))| {
            let height = *count as f64 / tallest * 150.0;
            view! {
                <rect
                    x=format!("{:.1}", i as f64 * bar_width + 1.0)
                    y=format!("{:.1}", 160.0 - height)
                    width=format!("{:.1}", bar_width - 2.0)
                    height=format!("{height:.1}")
                >
                    <title>{format!("≤ {edge:.0} ns: {count} batches")}</title>
                </rect>
            }
        })
        .collect_view();
    let first = bins.first().map(|(e, _)| *e).unwrap_or_default();
    let last = bins.last().map(|(e, _)| *e).unwrap_or_default();
    view! {
        <div class="bench-report">
            <p class="bench-throughput">
                <strong>{format!("{:.2} M orders/s", result.per_second / 1e6)}</strong>
                {format!(
                    " over {} commands · batch mean p50 {:.0} ns, p99 {:.0} ns per command",
                    result.commands,
                    result.quantile(0.5),
                    result.quantile(0.99),
                )}
            </p>
            <svg class="histogram" viewBox="0 0 600 180" role="img" aria-label="Latency histogram">
                {bars}
                <text x="0" y="178">{format!("{first:.0} ns")}</text>
                <text x="600" y="178" text-anchor="end">{format!("{last:.0} ns")}</text>
            </svg>
            <p class="meta">
                "Browsers blur their clocks to 5 µs or more, so each bar counts batches of 1 000 commands by their mean time per command."
            </p>
        </div>
    }
}
