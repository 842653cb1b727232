//! The deck both windows drive: which slide is shown and whether the projector is blank, kept in
//! step with the other window through the channel and the shared record.

use api_types::Block;
use api_types::present::{Presentation, Slide};
use leptos::prelude::*;

use super::channel::{PresentChannel, PresentMessage};
use super::record::{SessionRecord, now};

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

    /// Shows slide `to` (clamped to the deck) here and in the other window.
    pub fn go(&self, to: usize) {
        let to = to.min(self.count().saturating_sub(1));
        let mut record = self.record();
        record.go_to(to, now());
        record.save(&self.slug.get_value());
        self.slide.set(to);
        self.changes.update(|c| *c += 1);
        self.post();
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
    }

    /// Starts the session's clock again from now, on the slide shown.
    pub fn restart_clock(&self) {
        let mut record = SessionRecord::new(self.slide.get_untracked(), now());
        record.blank = self.blank.get_untracked();
        record.save(&self.slug.get_value());
        self.changes.update(|c| *c += 1);
        self.post();
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
