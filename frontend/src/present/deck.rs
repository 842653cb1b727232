//! The deck both windows drive: which slide is shown and whether the projector is blank, kept in
//! step with the other window through the channel and the shared record, and with the teacher's
//! other devices through the class session's room ([`super::room_sync`]).

use std::rc::Rc;

use api_types::Block;
use api_types::present::{Presentation, Slide};
use leptos::prelude::*;

use super::channel::{PresentChannel, PresentMessage};
use super::record::{SessionRecord, now};

/// A change the presenter made in this window (a key, a button), as opposed to one this window
/// followed (from the other window or from the room). Only these are told to the room, so a
/// move is sent once, by the device where it was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalChange {
    /// The deck moved to another slide.
    Moved,
    /// The screen was blanked or shown, or the clock restarted.
    Presenter,
}

type LocalHook = Option<Rc<dyn Fn(LocalChange)>>;

/// One window's view of a chapter's deck. Cheap to copy into event handlers.
#[derive(Clone, Copy)]
pub struct Deck {
    slug: StoredValue<String>,
    anchors: StoredValue<Vec<String>>,
    /// The slide shown, 0-based.
    pub slide: RwSignal<usize>,
    pub blank: RwSignal<bool>,
    /// Counts changes to the shared record seen by this window (moves here or in the other
    /// window, a restarted clock), for views that read the record.
    pub changes: RwSignal<u64>,
    channel: StoredValue<Option<PresentChannel>, LocalStorage>,
    on_local: StoredValue<LocalHook, LocalStorage>,
}

impl Deck {
    /// Joins the session of `deck`'s chapter: its current record, else a new session on slide
    /// `asked` (the projector's URL), else on the first slide.
    pub fn start(deck: &Presentation, asked: Option<usize>) -> Deck {
        let slug = deck.chapter.slug.clone();
        let last = deck.slides.len().saturating_sub(1);
        let now = now();
        let record = SessionRecord::load(&slug, now).unwrap_or_else(|| {
            let record = SessionRecord::new(asked.unwrap_or(0).min(last), now);
            record.save(&slug);
            record
        });
        let slide = RwSignal::new(record.slide.min(last));
        let blank = RwSignal::new(record.blank);
        let changes = RwSignal::new(0u64);
        let ours = slug.clone();
        let channel = PresentChannel::open(move |message: PresentMessage| {
            if message.slug != ours {
                return;
            }
            // The window may be closing: its signals may already be gone.
            let _ = slide.try_set(message.slide.min(last));
            let _ = blank.try_set(message.blank);
            let _ = changes.try_update(|c| *c += 1);
        });
        // A second path for the same news: the other window's write of the record fires a
        // `storage` event here, so a message the channel lost (a throttled background window)
        // still lands.
        let key = super::record::key(&slug);
        let handle = window_event_listener(leptos::ev::storage, move |event| {
            if event.key().as_deref() != Some(key.as_str()) {
                return;
            }
            let Some(record) = event
                .new_value()
                .and_then(|text| serde_json::from_str::<SessionRecord>(&text).ok())
            else {
                return;
            };
            let _ = slide.try_set(record.slide.min(last));
            let _ = blank.try_set(record.blank);
            let _ = changes.try_update(|c| *c += 1);
        });
        on_cleanup(move || handle.remove());
        Deck {
            slug: StoredValue::new(slug),
            anchors: StoredValue::new(deck.slides.iter().map(|s| s.anchor.clone()).collect()),
            slide,
            blank,
            changes,
            channel: StoredValue::new_local(channel),
            on_local: StoredValue::new_local(None),
        }
    }

    /// Calls `hook` after each change the presenter makes in this window (one hook: the room's).
    pub fn on_local_change(&self, hook: impl Fn(LocalChange) + 'static) {
        self.on_local.set_value(Some(Rc::new(hook)));
    }

    fn local(&self, change: LocalChange) {
        if let Some(hook) = self.on_local.get_value() {
            hook(change);
        }
    }

    pub fn slug(&self) -> String {
        self.slug.get_value()
    }

    pub fn count(&self) -> usize {
        self.anchors.with_value(Vec::len)
    }

    /// The reading page's anchor of the slide shown.
    pub fn anchor(&self) -> String {
        let at = self.slide.get_untracked();
        self.anchors
            .with_value(|anchors| anchors.get(at).cloned())
            .unwrap_or_default()
    }

    /// The shared record, read now (a new one if it has gone).
    pub fn record(&self) -> SessionRecord {
        let now = now();
        SessionRecord::load(&self.slug.get_value(), now)
            .unwrap_or_else(|| SessionRecord::new(self.slide.get_untracked(), now))
    }

    /// Shows slide `to` (clamped to the deck) here and in the other window: the presenter's move.
    pub fn go(&self, to: usize) {
        let to = self.show(to);
        if to.is_some() {
            self.local(LocalChange::Moved);
        }
    }

    /// Shows slide `to` because another device moved there: as [`Deck::go`], but not told to the
    /// room again. Returns the slide shown when it changed.
    pub fn follow(&self, to: usize) -> Option<usize> {
        self.show(to)
    }

    fn show(&self, to: usize) -> Option<usize> {
        let to = to.min(self.count().saturating_sub(1));
        if to == self.slide.get_untracked() {
            return None;
        }
        let mut record = self.record();
        record.go_to(to, now());
        record.save(&self.slug.get_value());
        self.slide.set(to);
        self.changes.update(|c| *c += 1);
        self.post();
        Some(to)
    }

    /// The blank screen and the session clock as another device shares them: applied here and
    /// in the other window, not told to the room again.
    pub fn follow_presenter(&self, blank: bool, clock_started_ms: f64) {
        let mut record = self.record();
        let now = now();
        record.adopt_clock(clock_started_ms, now);
        record.set_blank(blank, now);
        record.save(&self.slug.get_value());
        self.blank.set(blank);
        self.changes.update(|c| *c += 1);
        self.post();
    }

    /// When the session's clock started (ms since the epoch), as the room is told.
    pub fn clock_started_ms(&self) -> f64 {
        self.record().started_at
    }

    pub fn next(&self) {
        self.go(self.slide.get_untracked() + 1);
    }

    pub fn previous(&self) {
        self.go(self.slide.get_untracked().saturating_sub(1));
    }

    pub fn last(&self) {
        self.go(self.count().saturating_sub(1));
    }

    pub fn toggle_blank(&self) {
        let blank = !self.blank.get_untracked();
        let mut record = self.record();
        record.set_blank(blank, now());
        record.save(&self.slug.get_value());
        self.blank.set(blank);
        self.post();
        self.local(LocalChange::Presenter);
    }

    /// Starts the session's clock again from now, on the slide shown.
    pub fn restart_clock(&self) {
        let mut record = SessionRecord::new(self.slide.get_untracked(), now());
        record.blank = self.blank.get_untracked();
        record.save(&self.slug.get_value());
        self.changes.update(|c| *c += 1);
        self.post();
        self.local(LocalChange::Presenter);
    }

    fn post(&self) {
        let message = PresentMessage {
            slug: self.slug.get_value(),
            slide: self.slide.get_untracked(),
            anchor: self.anchor(),
            blank: self.blank.get_untracked(),
        };
        self.channel.with_value(|channel| {
            if let Some(channel) = channel {
                channel.post(&message);
            }
        });
    }
}

/// Whether a slide needs its title shown above its blocks: when they do not start with a
/// heading of their own (a marked slide with a `title=` and no heading).
pub fn needs_title(slide: &Slide) -> bool {
    let Some(Block::Prose { html }) = slide.blocks.first() else {
        return true;
    };
    let mut html = html.trim_start();
    // The empty anchor a mark leaves on the reading page.
    if html.starts_with("<div id=")
        && let Some((_, rest)) = html.split_once("</div>")
    {
        html = rest.trim_start();
    }
    !(html.starts_with("<h1") || html.starts_with("<h2") || html.starts_with("<h3"))
}

/// `/present/<slug>/<n>`, `n` 1-based.
pub fn slide_path(slug: &str, index: usize) -> String {
    format!("/present/{slug}/{}", index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slide(blocks: Vec<Block>) -> Slide {
        Slide {
            index: 0,
            title: "T".into(),
            anchor: "t".into(),
            minutes: 1,
            blocks,
            notes: Vec::new(),
        }
    }

    fn prose(html: &str) -> Block {
        Block::Prose { html: html.into() }
    }

    #[test]
    fn a_slide_that_starts_with_a_heading_shows_no_extra_title() {
        assert!(!needs_title(&slide(vec![prose(
            "<h2 id=\"a\">A</h2>\n<p>x</p>"
        )])));
        assert!(!needs_title(&slide(vec![prose(
            "<h1 class=\"slide-title\">A</h1>"
        )])));
        assert!(needs_title(&slide(vec![prose(
            "<div id=\"slide-recap\" class=\"slide-anchor\"></div>\n<p>x</p>"
        )])));
        assert!(needs_title(&slide(vec![])));
        assert_eq!(slide_path("where-next", 0), "/present/where-next/1");
    }
}
