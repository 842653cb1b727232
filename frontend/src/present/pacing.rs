//! Whether the presenter is ahead of the plan, on time or behind: pure arithmetic on the slides'
//! budgets and the clock, kept apart from the page so it is tested natively.

/// The plain signal the console shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pace {
    Ahead,
    OnTime,
    Behind,
}

impl Pace {
    pub fn label(self) -> &'static str {
        match self {
            Pace::Ahead => "Ahead",
            Pace::OnTime => "On time",
            Pace::Behind => "Behind",
        }
    }

    /// A class for the console's signal.
    pub fn class(self) -> &'static str {
        match self {
            Pace::Ahead => "pace-ahead",
            Pace::OnTime => "pace-on-time",
            Pace::Behind => "pace-behind",
        }
    }
}

/// How far from the plan one may drift before the signal changes: a minute, or 5% of the
/// chapter's time if that is longer (two minutes off in a 90-minute session is on time).
pub fn slack_seconds(total_minutes: u32) -> u64 {
    (u64::from(total_minutes) * 60 / 20).max(60)
}

/// Where the session stands. The plan says slide `slide` runs from the sum of the budgets before
/// it to that plus its own budget: a presenter who is still before that window (less the slack)
/// is ahead, one past its end (plus the slack) behind, anyone in it on time.
pub fn pace(budgets: &[u32], slide: usize, elapsed_seconds: u64) -> Pace {
    let total: u32 = budgets.iter().sum();
    let slack = slack_seconds(total);
    let start: u64 = budgets.iter().take(slide).map(|m| u64::from(*m) * 60).sum();
    let end = start + budgets.get(slide).map_or(0, |m| u64::from(*m) * 60);
    if elapsed_seconds + slack < start {
        Pace::Ahead
    } else if elapsed_seconds > end + slack {
        Pace::Behind
    } else {
        Pace::OnTime
    }
}

/// `m:ss`, or `h:mm:ss` from an hour on.
pub fn clock(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three slides of 2, 5 and 3 minutes: the plan is 0-2, 2-7 and 7-10 minutes; slack 1 minute.
    const DECK: [u32; 3] = [2, 5, 3];

    #[test]
    fn inside_the_slides_window_is_on_time() {
        assert_eq!(pace(&DECK, 0, 0), Pace::OnTime);
        assert_eq!(pace(&DECK, 1, 4 * 60), Pace::OnTime);
        // The slack either side.
        assert_eq!(pace(&DECK, 1, 60), Pace::OnTime);
        assert_eq!(pace(&DECK, 1, 8 * 60), Pace::OnTime);
    }

    #[test]
    fn early_on_a_later_slide_is_ahead() {
        assert_eq!(pace(&DECK, 1, 59), Pace::Ahead);
        assert_eq!(pace(&DECK, 2, 5 * 60), Pace::Ahead);
    }

    #[test]
    fn late_on_an_earlier_slide_is_behind() {
        assert_eq!(pace(&DECK, 0, 3 * 60 + 1), Pace::Behind);
        assert_eq!(pace(&DECK, 2, 11 * 60 + 1), Pace::Behind);
        assert_eq!(pace(&DECK, 2, 11 * 60), Pace::OnTime);
    }

    #[test]
    fn a_slide_without_budget_and_a_deck_past_its_end_still_answer() {
        assert_eq!(pace(&[0, 0], 1, 30), Pace::OnTime);
        assert_eq!(pace(&[0, 0], 1, 61), Pace::Behind);
        assert_eq!(pace(&DECK, 7, 10 * 60), Pace::OnTime);
        assert_eq!(pace(&[], 0, 0), Pace::OnTime);
    }

    #[test]
    fn long_sessions_get_more_slack() {
        assert_eq!(slack_seconds(10), 60);
        assert_eq!(slack_seconds(90), 270);
        // 90 minutes in 9 slides of 10: four minutes late on the first is still on time.
        assert_eq!(pace(&[10; 9], 0, 14 * 60), Pace::OnTime);
        assert_eq!(pace(&[10; 9], 0, 15 * 60), Pace::Behind);
    }

    #[test]
    fn clocks_read_as_minutes_and_seconds() {
        assert_eq!(clock(0), "0:00");
        assert_eq!(clock(75), "1:15");
        assert_eq!(clock(3600 + 62), "1:01:02");
    }
}
