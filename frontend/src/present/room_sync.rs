//! The deck kept in step through the class session's room, across the teacher's devices: the
//! laptop's projector and console and a phone's console each hold a teacher's socket of the same
//! room (BroadcastChannel and localStorage only reach the windows of one browser).
//!
//! The rules, applied by [`DeckSync`] (pure, tested natively) and wired up by [`bind`]:
//! - A move the presenter makes in this window is sent as a `goto` (students follow it too); the
//!   blank screen and a restarted clock as a `presenter` message (the teacher's devices only).
//!   Moves this window only followed are never sent again, so each move is sent once.
//! - The room numbers every move and sends it to every teacher's socket, the mover's included,
//!   in one order. A window that sent a move ignores the moves it hears until its own comes back:
//!   those were made before it, and following them would step the deck back and forth.
//! - A window that (re)joins takes the room's place and presenter state for its chapter, unless
//!   the presenter moved here while the link was down (then its own wins and is sent) or the
//!   room has none for this chapter yet (then it sends its own, which starts the class there).

use std::cell::RefCell;
use std::rc::Rc;

use api_types::present::Presentation;
use api_types::room::{
    ExerciseRef, Position, PresenterState, RoomClientMessage, RoomServerMessage,
};

use leptos::prelude::*;

use super::deck::{Deck, LocalChange};
use crate::room::student::LinkState;
use crate::room::teacher::{TeacherLink, exercise_on};

/// What the deck should do about a message from the room, or about a local change.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Show this slide (another device moved).
    Follow(usize),
    /// Take this blank screen and clock (another device changed them).
    FollowPresenter(PresenterState),
    /// Send the deck's place to the room.
    SendPlace,
    /// Send the deck's blank screen and clock to the room.
    SendPresenter,
}

/// One window's bookkeeping for the room. Pure: fed the room's messages and this window's
/// changes, it says what to do.
#[derive(Debug, Default)]
pub struct DeckSync {
    chapter: String,
    connected: bool,
    /// The slide this window last sent, until the room sends it back.
    awaiting_place: Option<u32>,
    /// The presenter state this window last sent, until the room sends it back.
    awaiting_presenter: Option<PresenterState>,
    /// Changes made here while the link was down: sent when it comes back.
    unsent_place: bool,
    unsent_presenter: bool,
}

impl DeckSync {
    pub fn new(chapter: &str) -> DeckSync {
        DeckSync {
            chapter: chapter.to_owned(),
            ..DeckSync::default()
        }
    }

    /// The link went down (or has not joined yet): changes wait.
    pub fn disconnected(&mut self) {
        self.connected = false;
    }

    /// The presenter changed something in this window.
    pub fn local(&mut self, change: LocalChange) -> Option<Step> {
        match (change, self.connected) {
            (LocalChange::Moved, true) => Some(Step::SendPlace),
            (LocalChange::Moved, false) => {
                self.unsent_place = true;
                None
            }
            (LocalChange::Presenter, true) => Some(Step::SendPresenter),
            (LocalChange::Presenter, false) => {
                self.unsent_presenter = true;
                None
            }
        }
    }

    /// This window sent its place (`slide`) or presenter state: what to wait for.
    pub fn sent_place(&mut self, slide: u32) {
        self.awaiting_place = Some(slide);
    }

    pub fn sent_presenter(&mut self, state: PresenterState) {
        self.awaiting_presenter = Some(state);
    }

    /// A message from the room.
    pub fn heard(&mut self, message: &RoomServerMessage) -> Vec<Step> {
        match message {
            RoomServerMessage::Welcome {
                snapshot,
                presenter,
                ..
            } => {
                self.connected = true;
                // Whatever was in flight is in the snapshot now, or was lost with the socket.
                self.awaiting_place = None;
                self.awaiting_presenter = None;
                let mut steps = Vec::new();
                match &snapshot.position {
                    Some(place) if place.chapter == self.chapter && !self.unsent_place => {
                        steps.push(Step::Follow(place.slide as usize))
                    }
                    _ => steps.push(Step::SendPlace),
                }
                match presenter {
                    Some(state) if state.chapter == self.chapter && !self.unsent_presenter => {
                        steps.push(Step::FollowPresenter(state.clone()))
                    }
                    _ => steps.push(Step::SendPresenter),
                }
                self.unsent_place = false;
                self.unsent_presenter = false;
                steps
            }
            RoomServerMessage::Goto { position, .. } if position.chapter == self.chapter => {
                if let Some(awaited) = self.awaiting_place {
                    if awaited == position.slide {
                        self.awaiting_place = None;
                    }
                    return Vec::new();
                }
                vec![Step::Follow(position.slide as usize)]
            }
            RoomServerMessage::Presenter { state } if state.chapter == self.chapter => {
                if let Some(awaited) = &self.awaiting_presenter {
                    if awaited == state {
                        self.awaiting_presenter = None;
                    }
                    return Vec::new();
                }
                vec![Step::FollowPresenter(state.clone())]
            }
            _ => Vec::new(),
        }
    }
}

/// Keeps `deck` in step with the room `link` teaches (now or once a session starts).
pub fn bind(deck: Deck, presentation: &Presentation, link: TeacherLink) {
    let chapter = presentation.chapter.slug.clone();
    let places: Rc<Vec<(Position, Option<ExerciseRef>)>> = Rc::new(
        presentation
            .slides
            .iter()
            .map(|slide| {
                let position = Position {
                    chapter: chapter.clone(),
                    slide: slide.index as u32,
                    anchor: slide.anchor.clone(),
                };
                (position, exercise_on(&slide.title, &slide.blocks))
            })
            .collect(),
    );
    let sync = Rc::new(RefCell::new(DeckSync::new(&chapter)));
    let run = {
        let sync = sync.clone();
        let chapter = chapter.clone();
        move |steps: Vec<Step>| {
            for step in steps {
                match step {
                    Step::Follow(slide) => {
                        deck.follow(slide);
                    }
                    Step::FollowPresenter(state) => {
                        deck.follow_presenter(state.blank, state.clock_started_ms as f64)
                    }
                    Step::SendPlace => {
                        let at = deck.slide.get_untracked();
                        if let Some((position, exercise)) = places.get(at).cloned() {
                            sync.borrow_mut().sent_place(position.slide);
                            link.send(&RoomClientMessage::Goto { position, exercise });
                        }
                    }
                    Step::SendPresenter => {
                        let state = PresenterState {
                            chapter: chapter.clone(),
                            blank: deck.blank.get_untracked(),
                            clock_started_ms: deck.clock_started_ms().max(0.0) as u64,
                        };
                        sync.borrow_mut().sent_presenter(state.clone());
                        link.send(&RoomClientMessage::Presenter { state });
                    }
                }
            }
        }
    };
    let run = Rc::new(run);
    {
        let (sync, run) = (sync.clone(), run.clone());
        deck.on_local_change(move |change| {
            let step = sync.borrow_mut().local(change);
            run(step.into_iter().collect());
        });
    }
    {
        let sync = sync.clone();
        link.listen(move |message| {
            let steps = sync.borrow_mut().heard(message);
            run(steps);
        });
    }
    Effect::new(move |_| {
        if link.state.get() != LinkState::Connected {
            sync.borrow_mut().disconnected();
        }
    });
}

#[cfg(test)]
mod tests {
    use api_types::room::{Role, RoomSnapshot};

    use super::*;

    fn place(slide: u32) -> Position {
        Position {
            chapter: "lesson".into(),
            slide,
            anchor: format!("s{slide}"),
        }
    }

    fn goto(slide: u32, seq: u64) -> RoomServerMessage {
        RoomServerMessage::Goto {
            position: place(slide),
            seq,
            sent_at_ms: 0,
        }
    }

    fn welcome(position: Option<Position>, presenter: Option<PresenterState>) -> RoomServerMessage {
        RoomServerMessage::Welcome {
            role: Role::Teacher,
            snapshot: RoomSnapshot {
                code: "K7QX3M".into(),
                position,
                ..RoomSnapshot::default()
            },
            presenter,
        }
    }

    fn presenter(blank: bool) -> PresenterState {
        PresenterState {
            chapter: "lesson".into(),
            blank,
            clock_started_ms: 7,
        }
    }

    fn connected() -> DeckSync {
        let mut sync = DeckSync::new("lesson");
        sync.heard(&welcome(Some(place(0)), Some(presenter(false))));
        sync
    }

    #[test]
    fn a_window_that_joins_takes_the_rooms_place_and_clock() {
        let mut sync = DeckSync::new("lesson");
        assert_eq!(
            sync.heard(&welcome(Some(place(3)), Some(presenter(true)))),
            vec![Step::Follow(3), Step::FollowPresenter(presenter(true))]
        );
    }

    #[test]
    fn a_room_without_this_chapter_gets_this_windows_place() {
        let mut sync = DeckSync::new("lesson");
        let elsewhere = Position {
            chapter: "other".into(),
            ..place(2)
        };
        assert_eq!(
            sync.heard(&welcome(Some(elsewhere), None)),
            vec![Step::SendPlace, Step::SendPresenter]
        );
        let mut fresh = DeckSync::new("lesson");
        assert_eq!(
            fresh.heard(&welcome(None, None)),
            vec![Step::SendPlace, Step::SendPresenter]
        );
    }

    #[test]
    fn moves_made_while_the_link_was_down_win_when_it_comes_back() {
        let mut sync = connected();
        sync.disconnected();
        assert_eq!(sync.local(LocalChange::Moved), None);
        assert_eq!(
            sync.heard(&welcome(Some(place(1)), Some(presenter(false)))),
            vec![Step::SendPlace, Step::FollowPresenter(presenter(false))]
        );
        // Once sent, the next join takes the room's again.
        sync.disconnected();
        assert_eq!(
            sync.heard(&welcome(Some(place(4)), Some(presenter(false))))[0],
            Step::Follow(4)
        );
    }

    #[test]
    fn another_devices_moves_are_followed_in_the_rooms_order() {
        let mut sync = connected();
        assert_eq!(sync.heard(&goto(2, 5)), vec![Step::Follow(2)]);
        assert_eq!(sync.heard(&goto(1, 6)), vec![Step::Follow(1)]);
        let other_chapter = RoomServerMessage::Goto {
            position: Position {
                chapter: "other".into(),
                ..place(4)
            },
            seq: 7,
            sent_at_ms: 0,
        };
        assert!(sync.heard(&other_chapter).is_empty());
    }

    #[test]
    fn moves_made_before_this_windows_own_are_not_followed() {
        let mut sync = connected();
        // The presenter presses Next twice here: slides 1 and 2 are sent.
        assert_eq!(sync.local(LocalChange::Moved), Some(Step::SendPlace));
        sync.sent_place(1);
        assert_eq!(sync.local(LocalChange::Moved), Some(Step::SendPlace));
        sync.sent_place(2);
        // The phone's move to 5, made before ours reached the room, then our two come back.
        assert!(sync.heard(&goto(5, 10)).is_empty());
        assert!(sync.heard(&goto(1, 11)).is_empty());
        assert!(sync.heard(&goto(2, 12)).is_empty());
        // From then on, others' moves are followed again.
        assert_eq!(sync.heard(&goto(3, 13)), vec![Step::Follow(3)]);
    }

    #[test]
    fn the_blank_screen_follows_and_is_sent_once() {
        let mut sync = connected();
        assert_eq!(
            sync.heard(&RoomServerMessage::Presenter {
                state: presenter(true)
            }),
            vec![Step::FollowPresenter(presenter(true))]
        );
        assert_eq!(
            sync.local(LocalChange::Presenter),
            Some(Step::SendPresenter)
        );
        sync.sent_presenter(presenter(false));
        assert!(
            sync.heard(&RoomServerMessage::Presenter {
                state: presenter(false)
            })
            .is_empty(),
            "its own, back from the room"
        );
        sync.disconnected();
        assert_eq!(sync.local(LocalChange::Presenter), None);
        assert_eq!(
            sync.heard(&welcome(Some(place(0)), Some(presenter(true)))),
            vec![Step::Follow(0), Step::SendPresenter]
        );
    }
}
