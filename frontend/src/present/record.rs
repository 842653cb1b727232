//! The presentation's shared state, kept in `localStorage` under [`key`] so that a window that
//! reloads (or opens late) finds the deck's place and the session's clock.

use serde::{Deserialize, Serialize};

use crate::prefs::storage;

/// A session not touched for this long is over: opening the deck again starts a new one.
pub const STALE_AFTER_MS: f64 = 4.0 * 3600.0 * 1000.0;

/// The `localStorage` key of a chapter's record.
pub fn key(slug: &str) -> String {
    format!("rmp.present.{slug}")
}

/// Where a presentation is and how long it has taken. Times are milliseconds since the epoch
/// (`Date.now()`), so every window of the browser reads the same clock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionRecord {
    /// The slide shown, 0-based.
    pub slide: usize,
    /// Whether the projector is blanked.
    pub blank: bool,
    /// When the session started.
    pub started_at: f64,
    /// When the current slide was entered.
    pub entered_at: f64,
    /// Milliseconds spent on each slide in earlier visits (the current visit not included).
    pub spent: Vec<f64>,
    /// When anything last changed.
    pub updated_at: f64,
}

impl SessionRecord {
    /// A session starting now on `slide`.
    pub fn new(slide: usize, now: f64) -> SessionRecord {
        SessionRecord {
            slide,
            blank: false,
            started_at: now,
            entered_at: now,
            spent: Vec::new(),
            updated_at: now,
        }
    }

    /// Moves to `slide`, banking the time spent on the one being left.
    pub fn go_to(&mut self, slide: usize, now: f64) {
        if slide != self.slide {
            let left = self.slide;
            if self.spent.len() <= left {
                self.spent.resize(left + 1, 0.0);
            }
            self.spent[left] += (now - self.entered_at).max(0.0);
            self.slide = slide;
            self.entered_at = now;
        }
        self.updated_at = now;
    }

    pub fn set_blank(&mut self, blank: bool, now: f64) {
        self.blank = blank;
        self.updated_at = now;
    }

    /// Takes the session clock another device of the teacher's started at `started_at`: a later
    /// start is a restart there (the time per slide starts again too), an earlier one a session
    /// this device joined late (its own times stay). Returns whether anything changed.
    pub fn adopt_clock(&mut self, started_at: f64, now: f64) -> bool {
        // Within a second is the same start (the clock crossed the wire as whole ms).
        if (started_at - self.started_at).abs() < 1000.0 {
            return false;
        }
        if started_at > self.started_at {
            self.spent.clear();
            // The other device's clock may run a little ahead of this one's.
            self.entered_at = started_at.min(now);
        }
        self.started_at = started_at;
        self.updated_at = now;
        true
    }

    /// Whole seconds on the current slide, this visit and earlier ones.
    pub fn on_slide_seconds(&self, now: f64) -> u64 {
        let before = self.spent.get(self.slide).copied().unwrap_or(0.0);
        seconds(before + (now - self.entered_at))
    }

    /// Whole seconds since the session started.
    pub fn elapsed_seconds(&self, now: f64) -> u64 {
        seconds(now - self.started_at)
    }

    /// Whether the session is over and a new one should start.
    pub fn stale(&self, now: f64) -> bool {
        now - self.updated_at > STALE_AFTER_MS
    }

    /// The chapter's record, if there is a current one.
    pub fn load(slug: &str, now: f64) -> Option<SessionRecord> {
        let text = storage()?.get_item(&key(slug)).ok()??;
        serde_json::from_str::<SessionRecord>(&text)
            .ok()
            .filter(|record| !record.stale(now))
    }

    pub fn save(&self, slug: &str) {
        if let (Some(storage), Ok(text)) = (storage(), serde_json::to_string(self)) {
            let _ = storage.set_item(&key(slug), &text);
        }
    }
}

fn seconds(ms: f64) -> u64 {
    (ms.max(0.0) / 1000.0) as u64
}

/// The browser's clock, in milliseconds since the epoch.
pub fn now() -> f64 {
    js_sys::Date::now()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moving_banks_the_time_of_the_slide_left() {
        let mut record = SessionRecord::new(0, 1_000.0);
        record.go_to(1, 31_000.0);
        assert_eq!(record.spent, [30_000.0]);
        assert_eq!(record.on_slide_seconds(41_500.0), 10);
        record.go_to(0, 61_000.0);
        // Back on the first slide: its earlier 30 s count.
        assert_eq!(record.on_slide_seconds(66_000.0), 35);
        assert_eq!(record.elapsed_seconds(66_000.0), 65);
        // Staying put changes nothing but the last-touched time.
        let before = record.clone();
        record.go_to(0, 70_000.0);
        assert_eq!(
            (record.entered_at, &record.spent),
            (before.entered_at, &before.spent)
        );
        assert_eq!(record.updated_at, 70_000.0);
    }

    #[test]
    fn another_devices_clock_is_adopted_a_later_one_as_a_restart() {
        let mut record = SessionRecord::new(0, 60_000.0);
        record.go_to(1, 90_000.0);
        // The phone opened late: the laptop's session started earlier; the slide times stay.
        assert!(record.adopt_clock(10_000.0, 100_000.0));
        assert_eq!(record.elapsed_seconds(100_000.0), 90);
        assert_eq!(record.spent, [30_000.0]);
        // The same start again (give or take the wire's rounding) changes nothing.
        assert!(!record.adopt_clock(10_400.0, 101_000.0));
        // The laptop restarted the clock: everything counts from its restart.
        assert!(record.adopt_clock(200_000.0, 205_000.0));
        assert_eq!(record.elapsed_seconds(205_000.0), 5);
        assert_eq!(record.on_slide_seconds(205_000.0), 5);
        assert!(record.spent.is_empty());
        // A restart stamped by a clock ahead of this one's never counts backwards.
        let mut ahead = SessionRecord::new(0, 0.0);
        assert!(ahead.adopt_clock(50_000.0, 40_000.0));
        assert_eq!(ahead.on_slide_seconds(40_000.0), 0);
    }

    #[test]
    fn a_session_left_alone_for_hours_is_stale() {
        let record = SessionRecord::new(3, 0.0);
        assert!(!record.stale(STALE_AFTER_MS));
        assert!(record.stale(STALE_AFTER_MS + 1.0));
    }

    #[test]
    fn the_record_is_camel_case_json() {
        let mut record = SessionRecord::new(0, 5.0);
        record.set_blank(true, 6.0);
        let json = serde_json::to_string(&record).unwrap();
        assert_eq!(
            json,
            r#"{"slide":0,"blank":true,"startedAt":5.0,"enteredAt":5.0,"spent":[],"updatedAt":6.0}"#
        );
    }
}
