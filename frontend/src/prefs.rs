//! Reader preferences (theme and font size), remembered in localStorage across visits.
//!
//! `index.html` applies the stored values before the app loads; here they become signals, and an
//! effect writes every change back to the document and to storage.

use leptos::prelude::*;

const THEME_KEY: &str = "rmp.theme";
const FONT_KEY: &str = "rmp.fontStep";
/// Font steps of 12.5 %: from 75 % (a small laptop) up to 250 % (the back row of a lecture hall).
/// `index.html` applies a stored step before the app loads and repeats this range.
pub const FONT_STEPS: std::ops::RangeInclusive<i32> = -2..=12;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

impl Theme {
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    pub fn parse(text: &str) -> Option<Theme> {
        match text {
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            _ => None,
        }
    }

    pub fn toggled(self) -> Theme {
        match self {
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::Light,
        }
    }
}

/// The reader's preferences, shared through context.
#[derive(Clone, Copy)]
pub struct Prefs {
    pub theme: RwSignal<Theme>,
    /// Font size step; see [`FONT_STEPS`].
    pub font_step: RwSignal<i32>,
}

impl Prefs {
    pub fn toggle_theme(&self) {
        self.theme.update(|t| *t = t.toggled());
    }

    /// Moves the font size by `delta` steps, staying within [`FONT_STEPS`].
    pub fn change_font(&self, delta: i32) {
        self.font_step.update(|s| {
            *s = (*s + delta).clamp(*FONT_STEPS.start(), *FONT_STEPS.end());
        });
    }

    pub fn reset_font(&self) {
        self.font_step.set(0);
    }
}

/// The scale factor a font step stands for.
pub fn font_scale(step: i32) -> f64 {
    1.0 + f64::from(step) * 0.125
}

/// The preferences from context. Panics if [`provide_prefs`] was not called by an ancestor.
pub fn use_prefs() -> Prefs {
    expect_context::<Prefs>()
}

/// Reads stored preferences, provides them as context, and keeps document and storage in step.
pub fn provide_prefs() -> Prefs {
    let stored_theme = read_storage(THEME_KEY).and_then(|t| Theme::parse(&t));
    let theme = stored_theme.unwrap_or_else(system_theme);
    let font_step = read_storage(FONT_KEY)
        .and_then(|s| s.parse::<i32>().ok())
        .filter(|s| FONT_STEPS.contains(s))
        .unwrap_or(0);
    let prefs = Prefs {
        theme: RwSignal::new(theme),
        font_step: RwSignal::new(font_step),
    };
    Effect::new(move |_| {
        let theme = prefs.theme.get();
        let step = prefs.font_step.get();
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-theme", theme.as_str());
            let style = format!("--font-scale: {};", font_scale(step));
            let _ = root.set_attribute("style", &style);
        }
        write_storage(THEME_KEY, theme.as_str());
        write_storage(FONT_KEY, &step.to_string());
    });
    provide_context(prefs);
    prefs
}

fn system_theme() -> Theme {
    let dark = window()
        .match_media("(prefers-color-scheme: dark)")
        .ok()
        .flatten()
        .is_some_and(|query| query.matches());
    if dark { Theme::Dark } else { Theme::Light }
}

/// The browser's localStorage, where every remembered choice lives (preferences, saved edits,
/// progress). It can be unavailable (private modes, sandboxed iframes): things then last a visit.
pub fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

fn read_storage(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten()
}

fn write_storage(key: &str, value: &str) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn themes_round_trip_and_toggle() {
        for theme in [Theme::Light, Theme::Dark] {
            assert_eq!(Theme::parse(theme.as_str()), Some(theme));
            assert_eq!(theme.toggled().toggled(), theme);
        }
        assert_eq!(Theme::parse("purple"), None);
    }

    #[test]
    fn font_steps_cover_laptop_to_projector() {
        assert_eq!(font_scale(*FONT_STEPS.start()), 0.75);
        assert_eq!(font_scale(0), 1.0);
        assert_eq!(
            font_scale(*FONT_STEPS.end()),
            2.5,
            "250 %: the back row of a lecture hall"
        );
    }
}
