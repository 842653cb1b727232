//! Which runners work on this server (`GET /api/runners`), fetched once and shared: blocks offer
//! only what can run here and explain a missing runner where the student would press the button.

use api_types::{Action, RunnerId, RunnerList};
use leptos::prelude::*;

use crate::api::{self, ApiFailure};

/// The server's runner list, in context.
#[derive(Clone, Copy)]
pub struct Availability(pub LocalResource<Result<RunnerList, ApiFailure>>);

impl Availability {
    pub fn provide() {
        provide_context(Availability(LocalResource::new(api::runners)));
    }

    /// From context; `None` outside the app (component tests without it offer everything).
    pub fn get() -> Option<Availability> {
        use_context::<Availability>()
    }

    /// Why blocks of `runner` cannot run here, once the list is known. While it loads, or if it
    /// could not be fetched, nothing is hidden: the server explains a missing runner anyway.
    pub fn missing(&self, runner: &RunnerId) -> Option<String> {
        self.0.with(|list| match list {
            Some(Ok(list)) => missing_in(list, runner),
            _ => None,
        })
    }

    /// Whether a block of `runner` can do `action` here (true until the list is known).
    pub fn reachable(&self, runner: &RunnerId, action: Action) -> bool {
        self.0.with(|list| match list {
            Some(Ok(list)) => reachable_in(list, runner, action),
            _ => true,
        })
    }
}

/// The reason a runner is missing from `list`, or `None` when it works (or is unknown to it).
pub fn missing_in(list: &RunnerList, runner: &RunnerId) -> Option<String> {
    let info = list.runners.iter().find(|r| &r.id == runner)?;
    if info.available {
        return None;
    }
    Some(
        info.reason
            .clone()
            .unwrap_or_else(|| format!("{} is not installed on this server.", info.title)),
    )
}

/// Whether `list` says a block of `runner` can do `action`.
pub fn reachable_in(list: &RunnerList, runner: &RunnerId, action: Action) -> bool {
    list.runners
        .iter()
        .find(|r| &r.id == runner)
        .is_none_or(|info| info.reachable.contains(&action))
}

/// The reason, reactive, for one block (`None` when it can run).
pub fn missing_signal(runner: RunnerId) -> Signal<Option<String>> {
    match Availability::get() {
        Some(availability) => Signal::derive(move || availability.missing(&runner)),
        None => Signal::derive(|| None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use api_types::{CompilerView, RunnerInfo, Target, Tool, Toolchain};

    fn info(id: &str, available: bool, reachable: Vec<Action>) -> RunnerInfo {
        RunnerInfo {
            id: RunnerId::new(id),
            title: format!("{id} title"),
            toolchain: Toolchain::Stable,
            tool: Tool::Rustc,
            target: Target::Host,
            actions: vec![Action::Run],
            reachable,
            available,
            reason: (!available).then(|| format!("{id} is not installed on this server.")),
        }
    }

    #[test]
    fn missing_runners_say_why_and_reachable_follows_the_server() {
        let expanded = Action::View(CompilerView::Expanded);
        let list = RunnerList {
            runners: vec![
                info("stable", true, vec![Action::Run, Action::Clippy]),
                info("miri", false, vec![]),
            ],
        };
        assert_eq!(missing_in(&list, &RunnerId::new("stable")), None);
        assert_eq!(
            missing_in(&list, &RunnerId::new("miri")).as_deref(),
            Some("miri is not installed on this server.")
        );
        assert!(reachable_in(
            &list,
            &RunnerId::new("stable"),
            Action::Clippy
        ));
        assert!(!reachable_in(&list, &RunnerId::new("stable"), expanded));
        // A runner the list does not know is not hidden: the server will explain.
        assert!(reachable_in(&list, &RunnerId::new("future"), expanded));
        assert_eq!(missing_in(&list, &RunnerId::new("future")), None);
    }
}
