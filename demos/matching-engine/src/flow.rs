//! Deterministic, realistic order flow for benchmarks, tests and demos.
//!
//! Everything is integer arithmetic on a hand-written SplitMix64 generator,
//! so a seed yields the same command stream on every platform, including
//! wasm32 in a browser.
//!
//! The flow imitates a busy venue: most orders are passive limits a few
//! ticks behind the touch (which drifts as a random walk), some limits and
//! IOC/FOK orders cross the spread, a few markets sweep, and many cancels and
//! some modifies target orders that are still live. To pick live targets the
//! generator looks at the engine the commands are applied to, so it is
//! driven in lock-step with an [`Engine`] (or use [`generate`]).

use crate::command::{CancelOrder, Command, ModifyOrder, NewOrder};
use crate::config::{ConfigError, EngineConfig, SymbolConfig};
use crate::engine::Engine;
use crate::types::{OrderId, OrderType, OwnerId, SelfTradePrevention, Side, SymbolId, TimeInForce};
use crate::view::OrderView;

/// SplitMix64: tiny, fast, statistically solid for simulation, and trivially
/// reproducible. Not for cryptography.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose whole future is determined by `seed`.
    pub const fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// Next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform-enough value in `0..bound` (0 when `bound` is 0), by
    /// multiply-shift instead of a biased and slow `%`.
    #[inline]
    pub fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    /// `true` with probability `percent`/100.
    #[inline]
    pub fn percent(&mut self, percent: u32) -> bool {
        self.below(100) < u64::from(percent)
    }
}

/// Relative weights of the command kinds the generator produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandMix {
    /// Good-till-cancelled limit orders.
    pub limit_gtc: u32,
    /// Immediate-or-cancel limit orders.
    pub limit_ioc: u32,
    /// Fill-or-kill limit orders.
    pub limit_fok: u32,
    /// Market orders.
    pub market: u32,
    /// Cancels of live orders.
    pub cancel: u32,
    /// Modifies of live orders.
    pub modify: u32,
}

impl Default for CommandMix {
    fn default() -> Self {
        CommandMix {
            limit_gtc: 45,
            limit_ioc: 4,
            limit_fok: 1,
            market: 2,
            cancel: 40,
            modify: 8,
        }
    }
}

/// Shape of the generated flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowConfig {
    /// Symbols to trade (must match the engine's configuration).
    pub symbols: Vec<SymbolConfig>,
    /// Number of distinct owners (fewer owners: more self-trade cases).
    pub owners: u32,
    /// Command kind weights.
    pub mix: CommandMix,
    /// Share of limit GTC orders priced through the touch, in percent.
    pub aggressive_percent: u32,
    /// Size the book settles at: cancels become likelier as the number of
    /// live orders approaches it, and above it new GTC orders turn into
    /// cancels.
    pub target_resting_orders: usize,
    /// Order sizes are 1..=`max_lots` lots (mostly small).
    pub max_lots: u32,
}

impl FlowConfig {
    /// Defaults suited to `symbols`: 64 owners, the default mix, 5 %
    /// aggressive GTC limits, about 20 000 resting orders.
    pub fn new(symbols: Vec<SymbolConfig>) -> Self {
        FlowConfig {
            symbols,
            owners: 64,
            mix: CommandMix::default(),
            aggressive_percent: 5,
            target_resting_orders: 20_000,
            max_lots: 100,
        }
    }
}

/// Four symbols with different tick sizes, lot sizes and band widths, used
/// by the benchmark, tests and the browser demo.
pub fn demo_symbols() -> Vec<SymbolConfig> {
    vec![
        SymbolConfig::new(SymbolId(1), 1, 9_000, 11_000),
        SymbolConfig {
            lot_size: 10,
            ..SymbolConfig::new(SymbolId(2), 5, 50_000, 150_000)
        },
        SymbolConfig {
            lot_size: 100,
            max_order_quantity: 1_000_000,
            ..SymbolConfig::new(SymbolId(3), 1, 100, 1_100)
        },
        SymbolConfig::new(SymbolId(4), 25, 0, 1_000_000),
    ]
}

/// Engine configuration for [`demo_symbols`] with room for 2^18 resting
/// orders.
pub fn demo_engine_config(self_trade_prevention: SelfTradePrevention) -> EngineConfig {
    EngineConfig {
        symbols: demo_symbols(),
        max_resting_orders: 1 << 18,
        self_trade_prevention,
    }
}

#[derive(Clone, Copy)]
enum Action {
    Limit(TimeInForce),
    Market,
    Cancel,
    Modify,
}

/// Seeded command generator; see the module docs.
#[derive(Debug, Clone)]
pub struct FlowGenerator {
    config: FlowConfig,
    rng: SplitMix64,
    next_order_id: u64,
    /// Per symbol: the level the flow currently centres on.
    reference_ticks: Vec<u32>,
    /// Ids of GTC orders sent; dead ones are dropped when picked and by a
    /// periodic sweep, so the length tracks the real book size.
    live: Vec<OrderId>,
    commands: u64,
}

impl FlowGenerator {
    /// A generator for `config` whose output depends only on `seed` (and on
    /// the engine it is driven with).
    pub fn new(config: FlowConfig, seed: u64) -> Self {
        let reference_ticks = config
            .symbols
            .iter()
            .map(|symbol| (symbol.level_count() / 2) as u32)
            .collect();
        FlowGenerator {
            live: Vec::with_capacity(config.target_resting_orders * 2),
            config,
            rng: SplitMix64::new(seed),
            next_order_id: 1,
            reference_ticks,
            commands: 0,
        }
    }

    /// Next command, given the engine that received all previous ones.
    pub fn next_command(&mut self, engine: &Engine) -> Command {
        self.commands += 1;
        if self.commands % 1024 == 0 {
            self.live
                .retain(|&order_id| engine.order(order_id).is_some());
        }
        let target = self.config.target_resting_orders.max(1) as u64;
        let live = self.live.len() as u64;
        let action = match self.roll_action() {
            // Hold the book near its target size: at or above it, new
            // passive liquidity turns into cancels ...
            Action::Limit(TimeInForce::Gtc) if live >= target => Action::Cancel,
            // ... and below it each order's chance of being cancelled scales
            // with the book size, like a per-order cancel hazard would.
            Action::Cancel if self.rng.below(target) >= live => Action::Limit(TimeInForce::Gtc),
            action => action,
        };
        match action {
            Action::Cancel => {
                if let Some((position, order)) = self.pick_live(engine) {
                    self.live.swap_remove(position);
                    return Command::Cancel(CancelOrder {
                        order_id: order.order_id,
                    });
                }
            }
            Action::Modify => {
                if let Some((_, order)) = self.pick_live(engine) {
                    return Command::Modify(self.modify_of(&order));
                }
            }
            Action::Limit(time_in_force) => return self.new_order(Some(time_in_force)),
            Action::Market => return self.new_order(None),
        }
        // Nothing live to cancel or modify yet: add liquidity instead.
        self.new_order(Some(TimeInForce::Gtc))
    }

    fn roll_action(&mut self) -> Action {
        let mix = self.config.mix;
        let weighted = [
            (mix.limit_gtc, Action::Limit(TimeInForce::Gtc)),
            (mix.limit_ioc, Action::Limit(TimeInForce::Ioc)),
            (mix.limit_fok, Action::Limit(TimeInForce::Fok)),
            (mix.market, Action::Market),
            (mix.cancel, Action::Cancel),
            (mix.modify, Action::Modify),
        ];
        let total: u64 = weighted.iter().map(|&(weight, _)| u64::from(weight)).sum();
        let mut roll = self.rng.below(total.max(1));
        for (weight, action) in weighted {
            if roll < u64::from(weight) {
                return action;
            }
            roll -= u64::from(weight);
        }
        Action::Limit(TimeInForce::Gtc)
    }

    /// A random still-resting order from the live list, dropping dead ids
    /// met on the way (a few tries, so the cost stays bounded).
    fn pick_live(&mut self, engine: &Engine) -> Option<(usize, OrderView)> {
        for _ in 0..4 {
            if self.live.is_empty() {
                return None;
            }
            let position = self.rng.below(self.live.len() as u64) as usize;
            match engine.order(self.live[position]) {
                Some(order) => return Some((position, order)),
                None => {
                    self.live.swap_remove(position);
                }
            }
        }
        None
    }

    fn symbol_index_of(&self, symbol: SymbolId) -> usize {
        self.config
            .symbols
            .iter()
            .position(|config| config.symbol == symbol)
            .unwrap_or(0)
    }

    fn modify_of(&mut self, order: &OrderView) -> ModifyOrder {
        let config = self.config.symbols[self.symbol_index_of(order.symbol)];
        let lot = config.lot_size.max(1);
        let remaining = order.remaining as i64;
        let roll = self.rng.below(100);
        let (new_price, new_quantity) = if roll < 50 && remaining > lot {
            // Shrink: keeps priority.
            let lots = 1 + self.rng.below((remaining / lot - 1) as u64) as i64;
            (order.price, lots * lot)
        } else if roll < 80 {
            // Re-price by a few ticks: loses priority, may cross.
            let ticks = 1 + self.rng.below(3) as i64;
            let step = if self.rng.percent(50) { ticks } else { -ticks };
            let price =
                (order.price + step * config.tick_size).clamp(config.min_price, config.max_price);
            (price, remaining)
        } else {
            // Grow: loses priority.
            let extra = (1 + self.rng.below(10) as i64) * lot;
            let cap = config.max_order_quantity / lot * lot;
            (order.price, (remaining + extra).min(cap))
        };
        ModifyOrder {
            order_id: order.order_id,
            new_price,
            new_quantity,
        }
    }

    /// A new order; `None` time in force means a market order.
    fn new_order(&mut self, time_in_force: Option<TimeInForce>) -> Command {
        let symbol_index = self.rng.below(self.config.symbols.len() as u64) as usize;
        let config = self.config.symbols[symbol_index];
        let level_count = config.level_count() as u32;
        self.drift_reference(symbol_index, level_count);
        let reference = i64::from(self.reference_ticks[symbol_index]);
        let side = if self.rng.percent(50) {
            Side::Buy
        } else {
            Side::Sell
        };
        let toward_touch = match side {
            Side::Buy => 1,
            Side::Sell => -1,
        };

        let order_type = match time_in_force {
            None => OrderType::Market,
            Some(time_in_force) => {
                let aggressive = time_in_force != TimeInForce::Gtc
                    || self.rng.percent(self.config.aggressive_percent);
                let tick = if aggressive {
                    // At or through the far touch.
                    reference + toward_touch * self.rng.below(3) as i64
                } else {
                    // Passive: mostly within a few ticks of the touch, with a
                    // thinner tail deeper in the book.
                    let mut depth = self.rng.below(4) as i64;
                    if self.rng.percent(20) {
                        depth += self.rng.below(20) as i64;
                    }
                    reference - toward_touch * (1 + depth)
                };
                let tick = tick.clamp(0, i64::from(level_count) - 1);
                OrderType::Limit {
                    price: config.min_price + tick * config.tick_size,
                    time_in_force,
                }
            }
        };

        let lots = if self.rng.percent(75) {
            1 + self.rng.below(10)
        } else {
            1 + self.rng.below(u64::from(self.config.max_lots.max(1)))
        } as i64;
        let lot = config.lot_size.max(1);
        let quantity = (lots * lot).min(config.max_order_quantity / lot * lot);

        let order_id = OrderId(self.next_order_id);
        self.next_order_id += 1;
        if time_in_force == Some(TimeInForce::Gtc) {
            self.live.push(order_id);
        }
        Command::New(NewOrder {
            order_id,
            symbol: config.symbol,
            owner: OwnerId(1 + self.rng.below(u64::from(self.config.owners.max(1))) as u32),
            side,
            order_type,
            quantity,
        })
    }

    /// Random walk of the reference level, kept in the middle half of the
    /// band so both sides always have room.
    fn drift_reference(&mut self, symbol_index: usize, level_count: u32) {
        if !self.rng.percent(3) {
            return;
        }
        let reference = &mut self.reference_ticks[symbol_index];
        let (low, high) = if level_count >= 8 {
            (level_count / 4, level_count - level_count / 4)
        } else {
            (0, level_count - 1)
        };
        let moved = if self.rng.percent(50) {
            reference.saturating_add(1)
        } else {
            reference.saturating_sub(1)
        };
        *reference = moved.clamp(low, high);
    }
}

/// Generates `count` commands by driving a scratch engine built from
/// `engine_config`, so the cancels and modifies target live orders. Replaying
/// the result into a fresh engine with the same configuration reproduces the
/// same states exactly.
pub fn generate(
    flow: &FlowConfig,
    engine_config: &EngineConfig,
    seed: u64,
    count: usize,
) -> Result<Vec<Command>, ConfigError> {
    let mut engine = Engine::new(engine_config.clone())?;
    let mut generator = FlowGenerator::new(flow.clone(), seed);
    let mut commands = Vec::with_capacity(count);
    let mut sink = crate::event::CountingSink::default();
    for _ in 0..count {
        let command = generator.next_command(&engine);
        engine.apply(&command, &mut sink);
        commands.push(command);
    }
    Ok(commands)
}
