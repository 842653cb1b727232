//! The state of one block's runs: the socket session, the output pane's view and the clock.

use std::rc::Rc;

use api_types::{ExecuteRequest, ExecutionResult, ServerMessage};
use leptos::prelude::*;

use crate::components::run_output::{RunView, Stage};
use crate::lazy::{self, RunPane, lazy_part};
use crate::run::RunSession;

/// Starts, follows and stops runs for one block. Copy it into closures freely.
#[derive(Clone, Copy)]
pub struct Runner {
    pub view: RwSignal<RunView>,
    /// Whether anything was ever run: the pane appears then and stays.
    pub shown: RwSignal<bool>,
    /// Seconds since the run started, updated while it is active.
    pub elapsed: RwSignal<f64>,
    session: StoredValue<Option<RunSession>, LocalStorage>,
    ticker: StoredValue<Option<IntervalHandle>>,
    /// The last request and what to do when it finishes, for Run again.
    last: StoredValue<Option<LastRun>, LocalStorage>,
}

type LastRun = (ExecuteRequest, Rc<dyn Fn(&ExecutionResult)>);

impl Runner {
    /// A runner whose session and clock stop when the calling component is unmounted.
    pub fn owned() -> Runner {
        let runner = Runner {
            view: RwSignal::new(RunView::default()),
            shown: RwSignal::new(false),
            elapsed: RwSignal::new(0.0),
            session: StoredValue::new_local(None),
            ticker: StoredValue::new(None),
            last: StoredValue::new_local(None),
        };
        on_cleanup(move || {
            runner.stop_ticker();
            runner.session.set_value(None);
        });
        runner
    }

    /// Whether a run is under way.
    pub fn active(&self) -> bool {
        self.shown.get() && self.view.with(|v| v.stage.is_active())
    }

    fn stop_ticker(&self) {
        if let Some(handle) = self.ticker.get_value() {
            handle.clear();
            self.ticker.set_value(None);
        }
    }

    /// Starts `request` unless a run is under way; `on_finished` sees how it ended.
    pub fn start(&self, request: ExecuteRequest, on_finished: impl Fn(&ExecutionResult) + 'static) {
        self.start_shared(request, Rc::new(on_finished));
    }

    /// Runs the last request again, never from the server's cache ("Run again").
    pub fn run_again(&self) {
        if let Some((request, on_finished)) = self.last.get_value() {
            let request = ExecuteRequest {
                fresh: true,
                ..request
            };
            self.start_shared(request, on_finished);
        }
    }

    /// Run again as a callback for the output pane.
    pub fn on_run_again(&self) -> Callback<()> {
        let runner = *self;
        Callback::new(move |()| runner.run_again())
    }

    fn start_shared(&self, request: ExecuteRequest, on_finished: Rc<dyn Fn(&ExecutionResult)>) {
        if self.view.with_untracked(|v| v.stage.is_active()) && self.shown.get_untracked() {
            return;
        }
        let runner = *self;
        runner
            .last
            .set_value(Some((request.clone(), Rc::clone(&on_finished))));
        runner.stop_ticker();
        runner.view.set(RunView::default());
        runner.shown.set(true);
        runner.elapsed.set(0.0);
        let started = now_ms();
        if let Ok(handle) = set_interval_with_handle(
            move || runner.elapsed.set((now_ms() - started) / 1000.0),
            std::time::Duration::from_millis(100),
        ) {
            runner.ticker.set_value(Some(handle));
        }
        // What opens the socket and reads the server's messages is fetched with the page's first
        // run (`lazy.rs`); later runs find it here at once.
        leptos::task::spawn_local(async move {
            let started = match crate::lazy::run_session().await {
                Ok(start) => start(request, runner, on_finished),
                Err(crate::lazy::ModuleMissing) => Err(
                    "this page could not load what runs code (the connection may have dropped); \
                     try again"
                        .to_owned(),
                ),
            };
            // The block may have left the page meanwhile: its session then closes at once.
            match started {
                Ok(session) => {
                    runner.session.try_set_value(Some(session));
                }
                Err(message) => {
                    if runner
                        .view
                        .try_update(|v| v.stage = Stage::Failed(message))
                        .is_some()
                    {
                        runner.stop_ticker();
                    }
                }
            }
        });
    }

    /// Opens the socket for `request` and follows its messages into the pane; called from the
    /// run module (`lazy::run_session`), so the reading of the server's messages lives there.
    pub fn open_session(
        self,
        request: ExecuteRequest,
        on_finished: Rc<dyn Fn(&ExecutionResult)>,
    ) -> Result<RunSession, String> {
        let runner = self;
        let on_event = move |message: ServerMessage| {
            if let ServerMessage::Finished(result) = &message {
                on_finished(result);
            }
            runner.view.update(|v| v.apply(message));
            if !runner.view.with_untracked(|v| v.stage.is_active()) {
                runner.stop_ticker();
            }
        };
        RunSession::start(request, on_event)
    }

    pub fn kill(&self) {
        self.session.with_value(|s| {
            if let Some(s) = s {
                s.kill();
            }
        });
    }

    pub fn on_stdin(&self) -> Callback<String> {
        let session = self.session;
        Callback::new(move |line: String| {
            session.with_value(|s| {
                if let Some(s) = s {
                    s.send_line(&line);
                }
            })
        })
    }

    pub fn on_close_stdin(&self) -> Callback<()> {
        let session = self.session;
        Callback::new(move |()| {
            session.with_value(|s| {
                if let Some(s) = s {
                    s.close_stdin();
                }
            })
        })
    }

    /// The pane this runner's runs write into, from its module (fetched with the first run).
    /// `run_again`: whether the pane offers Run again after an answer from the cache (an
    /// exercise shows its own note instead).
    pub fn pane(self, on_locate: Callback<(String, u32, u32)>, run_again: bool) -> AnyView {
        lazy_part(
            lazy::run_output,
            || true,
            move |pane| {
                pane(RunPane {
                    view: self.view,
                    elapsed: self.elapsed,
                    on_stdin: self.on_stdin(),
                    on_close_stdin: self.on_close_stdin(),
                    on_locate,
                    on_run_again: run_again.then(|| self.on_run_again()),
                })
            },
        )
    }
}

fn now_ms() -> f64 {
    window().performance().map_or(0.0, |p| p.now())
}
