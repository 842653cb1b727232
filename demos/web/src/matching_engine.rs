//! The matching-engine demo: order entry, a live depth ladder, a trade tape, an event log, and a
//! benchmark of the same engine running in this browser tab.

use std::collections::VecDeque;

use leptos::prelude::*;
use matching_engine::config::MAX_ORDER_QUANTITY_LIMIT;
use matching_engine::flow::{self, FlowConfig, FlowGenerator};
use matching_engine::{
    CancelOrder, CancelReason, Command, Engine, Event, ModifyOrder, NewOrder, OrderId, OrderType,
    OwnerId, RejectReason, SelfTradePrevention, Side, SymbolId, TimeInForce,
};

use crate::engine_bench::{self, Bench, BenchResult};

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
        RejectReason::PriceOutOfBand => "the price is outside the symbol's price band",
        RejectReason::UnknownSymbol => "no such symbol",
        RejectReason::UnknownOrderId => "no resting order has that id",
        RejectReason::DuplicateOrderId => "an order with that id is still resting",
        RejectReason::FokNotFillable => "fill-or-kill could not be filled completely",
        RejectReason::BookFull => "the book is full",
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
                        <th>
                            <span class="visually-hidden">"Quantity as a bar"</span>
                        </th>
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
    // The selected symbol's limits, read from the engine, so rejects can be understood.
    let band_id = unique_id("price-band");
    let band = move || {
        let symbol = symbol.get();
        state.with_value(|s| {
            s.engine.symbol_config(symbol).map(|c| {
                let lot = if c.lot_size == 1 {
                    "any positive whole quantity".to_owned()
                } else {
                    format!("quantities in multiples of {} (the lot size)", c.lot_size)
                };
                let most = if c.max_order_quantity < MAX_ORDER_QUANTITY_LIMIT {
                    format!(", up to {}", c.max_order_quantity)
                } else {
                    String::new()
                };
                format!(
                    "{symbol} accepts limit prices from {} to {} (its price band) in steps of {} (the tick size), and {lot}{most}.",
                    c.min_price, c.max_price, c.tick_size
                )
            })
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
                                    aria-pressed=move || if side.get() == value { "true" } else { "false" }
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
                <NumberField label="Price" name="price" value=price described_by=band_id.clone() />
                <NumberField label="Quantity" name="quantity" value=quantity />
                <label>
                    "Account"
                    <select name="account" on:change=move |ev| account.set(event_target_value(&ev).parse().unwrap_or(1))>
                        <option value="1">"A1"</option>
                        <option value="2">"A2"</option>
                    </select>
                </label>
                <button type="submit" class="primary">"Place order"</button>
                // A row of its own, under the fields it explains.
                <p class="meta price-band" id=band_id style="flex-basis: 100%">{band}</p>
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

/// An id no other element of the page has: `prefix-N`.
fn unique_id(prefix: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(1);
    format!("{prefix}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
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
    /// The id of a hint that explains which values are accepted.
    #[prop(optional, into)]
    described_by: Option<String>,
) -> impl IntoView {
    view! {
        <label>
            {label}
            <input
                name=name
                aria-describedby=described_by
                inputmode="numeric"
                prop:value=value
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        </label>
    }
}

/// Milliseconds of benchmark work between two chances for the browser to paint and respond.
const BENCH_SLICE_MS: f64 = 40.0;

/// Resolves in a later task of the browser's event loop, so it can paint and handle input first.
async fn yield_to_browser() {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Replays the native benchmark's workload here and draws throughput and a latency histogram.
#[component]
pub fn EngineBenchmark() -> impl IntoView {
    let size = RwSignal::new(500_000usize);
    let running = RwSignal::new(false);
    // 0 to 1, while running.
    let progress = RwSignal::new(0.0f64);
    let result = RwSignal::new(None::<BenchResult>);
    let start = move |_| {
        if running.get_untracked() {
            return;
        }
        running.set(true);
        progress.set(0.0);
        result.set(None);
        let commands = size.get_untracked();
        leptos::task::spawn_local(async move {
            let performance = window().performance().expect("performance is available");
            let now = move || performance.now();
            let mut bench = Bench::new(commands, 3);
            loop {
                // Between slices the page paints the progress and stays responsive.
                yield_to_browser().await;
                if let Some(measured) = bench.advance(BENCH_SLICE_MS, &now) {
                    result.try_set(Some(measured));
                    running.try_set(false);
                    break;
                }
                if progress.try_set(bench.progress()).is_some() {
                    // The page was left: stop working.
                    break;
                }
            }
        });
    };
    // Announced to screen readers, so it changes in steps of 10 % rather than on every slice.
    let status = move || {
        if running.get() {
            let percent = (progress.get() * 10.0).floor() as u32 * 10;
            format!("Running… {percent}%")
        } else {
            result
                .with(|r| {
                    r.as_ref()
                        .map(|r| format!("Finished: {:.2} M orders/s.", r.per_second / 1e6))
                })
                .unwrap_or_default()
        }
    };
    view! {
        <section class="bench">
            <h2>"Benchmark in your browser"</h2>
            <p>
                "Replays a generated flow (limits near the touch, markets, cancels, modifies; the same seed as the native benchmark) \
                 after a warm-up of 300 000 commands, three times, and keeps the best run. \
                 It works in short slices so the page stays usable; only the replay itself is timed."
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
                // Busy: `aria-disabled`, not `disabled`, so keyboard focus stays on the button.
                <button class="primary run-bench" on:click=start aria-disabled=move || running.get().to_string()>
                    "Run benchmark"
                </button>
                <span class="loading-inline">
                    <Show when=move || running.get()>
                        <span class="spinner" aria-hidden="true"></span>
                        <progress
                            class="bench-progress"
                            max="100"
                            prop:value=move || (progress.get() * 100.0).round()
                            aria-hidden="true"
                        ></progress>
                    </Show>
                    <span class="bench-status" role="status">{status}</span>
                </span>
            </div>
            {move || result.get().map(|r| view! { <BenchReport result=r /> })}
        </section>
    }
}

/// Up to five round steps (1, 2 or 5 times a power of ten) from 0 to at least `max`:
/// the step and the number of steps.
fn axis_ticks(max: usize) -> (usize, usize) {
    let max = max.max(1);
    let mut magnitude = 1;
    loop {
        for step in [magnitude, 2 * magnitude, 5 * magnitude] {
            let steps = max.div_ceil(step);
            if steps <= 5 {
                return (step, steps);
            }
        }
        magnitude *= 10;
    }
}

/// Throughput and the histogram of per-batch latency.
#[component]
fn BenchReport(
    /// The measured run.
    result: BenchResult,
) -> impl IntoView {
    // Plot area inside the 600 × 200 drawing: room on the left for the y-axis, below for the x-axis.
    const LEFT: f64 = 64.0;
    const RIGHT: f64 = 592.0;
    const TOP: f64 = 12.0;
    const BOTTOM: f64 = 160.0;
    let bins = result.histogram(24);
    let tallest = bins.iter().map(|(_, c)| *c).max().unwrap_or(0);
    let (tick, ticks) = axis_ticks(tallest);
    let y_max = (tick * ticks) as f64;
    let y_of = |count: f64| BOTTOM - count / y_max * (BOTTOM - TOP);
    let bar_width = (RIGHT - LEFT) / bins.len().max(1) as f64;
    let bars = bins
        .iter()
        .enumerate()
        .map(|(i, (edge, count))| {
            let height = BOTTOM - y_of(*count as f64);
            view! {
                <rect
                    x=format!("{:.1}", LEFT + i as f64 * bar_width + 1.0)
                    y=format!("{:.1}", BOTTOM - height)
                    width=format!("{:.1}", bar_width - 2.0)
                    height=format!("{height:.1}")
                >
                    <title>{format!("≤ {edge:.0} ns: {count} batches")}</title>
                </rect>
            }
        })
        .collect_view();
    let y_axis = (0..=ticks)
        .map(|i| {
            let y = format!("{:.1}", y_of((i * tick) as f64));
            view! {
                <line class="grid" x1=LEFT x2=RIGHT y1=y.clone() y2=y.clone() stroke="currentColor" stroke-opacity="0.15" />
                <text x=LEFT - 6.0 y=y dy="0.35em" text-anchor="end">{(i * tick).to_string()}</text>
            }
        })
        .collect_view();
    let low = result.quantile(0.0);
    let last = bins.last().map(|(e, _)| *e).unwrap_or_default();
    let description = format!(
        "Latency histogram: {} batches of {} commands, from {low:.0} to {last:.0} ns per command; \
         the y-axis counts batches, up to {tallest} in one bar.",
        result.batch_ns.len(),
        engine_bench::BATCH,
    );
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
            <svg class="histogram" viewBox="0 0 600 200" role="img" aria-label=description>
                {y_axis}
                <line x1=LEFT x2=LEFT y1=TOP y2=BOTTOM stroke="currentColor" stroke-opacity="0.5" />
                <line x1=LEFT x2=RIGHT y1=BOTTOM y2=BOTTOM stroke="currentColor" stroke-opacity="0.5" />
                <text transform=format!("translate(14 {}) rotate(-90)", (TOP + BOTTOM) / 2.0) text-anchor="middle">
                    "Batches"
                </text>
                {bars}
                <text x=LEFT y="176">{format!("{low:.0} ns")}</text>
                <text x=RIGHT y="176" text-anchor="end">{format!("{last:.0} ns")}</text>
                <text x=(LEFT + RIGHT) / 2.0 y="194" text-anchor="middle">
                    "Mean time per command in a batch"
                </text>
            </svg>
            <p class="meta">
                "Browsers blur their clocks to 5 µs or more, so each bar counts batches of 1 000 commands by their mean time per command."
            </p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::axis_ticks;

    #[test]
    fn the_y_axis_has_a_few_round_ticks_covering_the_tallest_bar() {
        assert_eq!(axis_ticks(0), (1, 1));
        assert_eq!(axis_ticks(3), (1, 3));
        assert_eq!(axis_ticks(7), (2, 4));
        assert_eq!(axis_ticks(10), (2, 5));
        assert_eq!(axis_ticks(11), (5, 3));
        assert_eq!(axis_ticks(120), (50, 3));
        assert_eq!(axis_ticks(480), (100, 5));
        for max in 0..5_000 {
            let (step, steps) = axis_ticks(max);
            assert!(steps <= 5 && step * steps >= max, "{max}: {step} × {steps}");
        }
    }
}
