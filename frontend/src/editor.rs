//! The code editor: CodeMirror 6, bundled from npm by `cargo xtask build-spa` into
//! `frontend/editor/dist/editor.js`, which defines `window.RmpEditor` before the app starts.
//!
//! Everything else talks to [`EditorControl`]. When the bundle is missing (a failed download, or
//! component tests that run without it) the editor falls back to a plain text area, so a page
//! never goes blank because of its editor.

use api_types::{Diagnostic, Level};
use leptos::html::{Div, Textarea};
use leptos::prelude::*;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// An editor made by `RmpEditor.mount` (see `frontend/editor/README.md`).
    type JsEditor;

    #[wasm_bindgen(catch, js_namespace = RmpEditor, js_name = mount)]
    fn mount_editor(parent: &web_sys::HtmlElement, options: &JsValue) -> Result<JsEditor, JsValue>;

    #[wasm_bindgen(method, js_name = getDoc)]
    fn get_doc(this: &JsEditor) -> String;

    #[wasm_bindgen(method, js_name = getHiddenLines)]
    fn get_hidden_lines(this: &JsEditor) -> js_sys::Array;

    #[wasm_bindgen(method, js_name = setDoc)]
    fn set_doc(this: &JsEditor, doc: &str, hidden_lines: &js_sys::Array);

    #[wasm_bindgen(method, js_name = setHiddenShown)]
    fn set_hidden_shown(this: &JsEditor, shown: bool);

    #[wasm_bindgen(method, js_name = setDiagnostics)]
    fn set_diagnostics(this: &JsEditor, list: &js_sys::Array);

    #[wasm_bindgen(method, js_name = goTo)]
    fn go_to(this: &JsEditor, line: u32, column: u32);

    #[wasm_bindgen(method, js_name = setHighlight)]
    fn set_highlight(this: &JsEditor, lines: &js_sys::Array, scroll: bool);

    #[wasm_bindgen(method, js_name = openSearch)]
    fn open_search(this: &JsEditor);

    #[wasm_bindgen(method, js_name = copyDoc)]
    fn copy_doc(this: &JsEditor) -> js_sys::Promise;

    #[wasm_bindgen(method)]
    fn destroy(this: &JsEditor);
}

/// Whether the CodeMirror bundle loaded.
pub fn codemirror_available() -> bool {
    js_sys::Reflect::has(&window(), &JsValue::from_str("RmpEditor")).unwrap_or(false)
}

/// Where the CodeMirror bundle is. It is loaded the first time an editor is needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bundle {
    NotRequested,
    Loading,
    Ready,
    /// It failed to load (or the page has no such script): editors are text areas.
    Unavailable,
}

/// The bundle's state, shared by every editor on the page.
#[derive(Clone, Copy)]
pub struct EditorBundle(pub RwSignal<Bundle>);

/// The inert `<script>` in `index.html` that names the hashed bundle and its integrity hash.
const BUNDLE_SCRIPT: &str = "script[type='text/rmp-editor']";

impl EditorBundle {
    /// Provides the bundle's state; call once, from the app root.
    pub fn provide() -> EditorBundle {
        let initial = if codemirror_available() {
            Bundle::Ready
        } else {
            Bundle::NotRequested
        };
        let bundle = EditorBundle(RwSignal::new(initial));
        provide_context(bundle);
        bundle
    }

    /// The provided state, or (outside the app, e.g. in component tests) a state of its own.
    fn get() -> EditorBundle {
        use_context::<EditorBundle>().unwrap_or_else(|| {
            EditorBundle(RwSignal::new(if codemirror_available() {
                Bundle::Ready
            } else {
                Bundle::NotRequested
            }))
        })
    }

    /// Starts loading the bundle unless that has begun already.
    fn request(self) {
        if self.0.get_untracked() != Bundle::NotRequested {
            return;
        }
        let state = self.0;
        let settle = move |next: Bundle| {
            if next == Bundle::Unavailable {
                leptos::logging::warn!(
                    "the code editor could not be loaded; examples are edited in plain text areas"
                );
            }
            state.set(next);
        };
        let Some(template) = document().query_selector(BUNDLE_SCRIPT).ok().flatten() else {
            settle(Bundle::Unavailable);
            return;
        };
        let Ok(script) = document().create_element("script") else {
            settle(Bundle::Unavailable);
            return;
        };
        for name in ["src", "integrity"] {
            if let Some(value) = template.get_attribute(name) {
                let _ = script.set_attribute(name, &value);
            }
        }
        // The page lives as long as these handlers may be called, so they are leaked on purpose.
        let on_load = Closure::<dyn FnMut()>::new(move || {
            settle(if codemirror_available() {
                Bundle::Ready
            } else {
                Bundle::Unavailable
            })
        });
        let on_error = Closure::<dyn FnMut()>::new(move || settle(Bundle::Unavailable));
        let _ = script.add_event_listener_with_callback("load", on_load.as_ref().unchecked_ref());
        let _ = script.add_event_listener_with_callback("error", on_error.as_ref().unchecked_ref());
        on_load.forget();
        on_error.forget();
        state.set(Bundle::Loading);
        if let Some(head) = document().head() {
            let _ = head.append_child(&script);
        }
    }
}

/// A mounted CodeMirror editor and the Rust callbacks it calls; destroyed on drop.
struct Mounted {
    js: JsEditor,
    _on_change: Closure<dyn FnMut(String)>,
    _on_run: Closure<dyn FnMut()>,
    _on_hidden: Closure<dyn FnMut(bool)>,
    /// The optional callbacks (format, clippy, cursor line, hovered line), kept alive with it.
    _others: Vec<Closure<dyn FnMut(JsValue)>>,
}

impl Drop for Mounted {
    fn drop(&mut self) {
        self.js.destroy();
    }
}

/// What the editor is built on.
enum Backend {
    CodeMirror(Mounted),
    TextArea(web_sys::HtmlTextAreaElement),
}

/// A handle to one editor, for the block that owns it. Cheap to copy into closures.
#[derive(Clone, Copy)]
pub struct EditorControl {
    backend: StoredValue<Option<Backend>, LocalStorage>,
    /// The document as last reported, so callers can read it without touching JavaScript.
    doc: RwSignal<String>,
}

impl EditorControl {
    pub fn new(initial: &str) -> EditorControl {
        EditorControl {
            backend: StoredValue::new_local(None),
            doc: RwSignal::new(initial.to_owned()),
        }
    }

    /// The current code, hidden lines included.
    pub fn doc(&self) -> String {
        self.doc.get_untracked()
    }

    /// The current hidden lines, moved along with the student's edits.
    pub fn hidden_lines(&self) -> Vec<u32> {
        self.backend.with_value(|b| match b {
            Some(Backend::CodeMirror(m)) => {
                m.js.get_hidden_lines()
                    .iter()
                    .filter_map(|v| v.as_f64())
                    .map(|v| v as u32)
                    .collect()
            }
            _ => Vec::new(),
        })
    }

    /// Replaces the whole document (Reset, restoring a saved edit). Does not count as an edit.
    pub fn set_doc(&self, doc: &str, hidden_lines: &[u32]) {
        self.doc.set(doc.to_owned());
        self.backend.with_value(|b| match b {
            Some(Backend::CodeMirror(m)) => m.js.set_doc(doc, &numbers(hidden_lines)),
            Some(Backend::TextArea(area)) => area.set_value(doc),
            None => {}
        });
    }

    pub fn set_hidden_shown(&self, shown: bool) {
        self.backend.with_value(|b| {
            if let Some(Backend::CodeMirror(m)) = b {
                m.js.set_hidden_shown(shown);
            }
        });
    }

    /// Marks `diagnostics` in the editor. Spans below `last_line` (e.g. in an exercise's hidden
    /// tests) are left out: they are listed under the output instead.
    pub fn show_diagnostics(&self, diagnostics: &[Diagnostic], last_line: u32) {
        self.show_diagnostics_in(diagnostics, api_types::ProjectFile::MAIN, last_line);
    }

    pub fn clear_diagnostics(&self) {
        self.show_marks(&[]);
    }

    /// Marks `diagnostics` whose spans are in `file`, on lines up to `last_line`.
    pub fn show_diagnostics_in(&self, diagnostics: &[Diagnostic], file: &str, last_line: u32) {
        self.show_marks(&diagnostic_marks_in(diagnostics, file, last_line));
    }

    fn show_marks(&self, list: &[Mark]) {
        self.backend.with_value(|b| {
            if let Some(Backend::CodeMirror(m)) = b {
                let array = js_sys::Array::new();
                for mark in list {
                    array.push(&mark.to_js());
                }
                m.js.set_diagnostics(&array);
            }
        });
    }

    /// Marks the 1-based `lines` (source mapping), scrolling the first into view if `scroll`.
    pub fn highlight_lines(&self, lines: &[u32], scroll: bool) {
        self.backend.with_value(|b| {
            if let Some(Backend::CodeMirror(m)) = b {
                m.js.set_highlight(&numbers(lines), scroll);
            }
        });
    }

    /// Opens the editor's search panel (compiler views).
    pub fn open_search(&self) {
        self.backend.with_value(|b| {
            if let Some(Backend::CodeMirror(m)) = b {
                m.js.open_search();
            }
        });
    }

    /// Copies the whole document to the clipboard; `false` when the browser refused.
    pub async fn copy(&self) -> bool {
        let promise = self.backend.with_value(|b| match b {
            Some(Backend::CodeMirror(m)) => Some(m.js.copy_doc()),
            _ => None,
        });
        let promise = match promise {
            Some(promise) => promise,
            None => {
                // Without the bundle: the Clipboard API directly.
                let clipboard = js_sys::Reflect::get(&window(), &"navigator".into())
                    .and_then(|navigator| js_sys::Reflect::get(&navigator, &"clipboard".into()))
                    .ok()
                    .filter(|c| !c.is_undefined());
                let Some(clipboard) = clipboard else {
                    return false;
                };
                let write = js_sys::Reflect::get(&clipboard, &"writeText".into())
                    .ok()
                    .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
                let Some(write) = write else { return false };
                match write.call1(&clipboard, &JsValue::from_str(&self.doc())) {
                    Ok(p) => p.unchecked_into(),
                    Err(_) => return false,
                }
            }
        };
        match wasm_bindgen_futures::JsFuture::from(promise).await {
            Ok(value) => value.as_bool().unwrap_or(true),
            Err(_) => false,
        }
    }

    /// Puts the cursor at 1-based (`line`, `column`) and focuses the editor.
    pub fn go_to(&self, line: u32, column: u32) {
        self.backend.with_value(|b| match b {
            Some(Backend::CodeMirror(m)) => m.js.go_to(line, column),
            Some(Backend::TextArea(area)) => {
                let offset = utf16_offset_of(&area.value(), line, column);
                let _ = area.set_selection_range(offset, offset);
                let _ = area.focus();
            }
            None => {}
        });
    }
}

fn numbers(values: &[u32]) -> js_sys::Array {
    values.iter().map(|&v| JsValue::from(v)).collect()
}

/// One mark for the editor: 1-based lines, columns in characters, end exclusive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mark {
    pub severity: &'static str,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    pub message: String,
    pub code: Option<String>,
    /// Where `code` is documented (error index, Clippy's or rustc's lint list).
    pub url: Option<String>,
}

impl Mark {
    fn to_js(&self) -> JsValue {
        let object = js_sys::Object::new();
        let set = |key: &str, value: JsValue| {
            let _ = js_sys::Reflect::set(&object, &JsValue::from_str(key), &value);
        };
        set("severity", self.severity.into());
        set("line", self.line.into());
        set("column", self.column.into());
        set("endLine", self.end_line.into());
        set("endColumn", self.end_column.into());
        set("message", self.message.as_str().into());
        let text =
            |value: &Option<String>| value.as_deref().map_or(JsValue::NULL, JsValue::from_str);
        set("code", text(&self.code));
        set("url", text(&self.url));
        object.into()
    }
}

/// Errors and warnings (Clippy's lints among them) become marks on their primary span; labelled
/// secondary spans ("value moved here") become informational marks, because borrow errors make
/// sense only with them. Only spans in `file` are marked: an editor shows one file.
pub fn diagnostic_marks_in(diagnostics: &[Diagnostic], file: &str, last_line: u32) -> Vec<Mark> {
    let mut marks = Vec::new();
    for diagnostic in diagnostics {
        let severity = match diagnostic.level {
            Level::Error | Level::InternalError => "error",
            Level::Warning => "warning",
            _ => continue,
        };
        for span in &diagnostic.spans {
            if span.line_start > last_line || span.file != file {
                continue;
            }
            let (severity, message) = if span.is_primary {
                let message = match &span.label {
                    Some(label) if !label.is_empty() => {
                        format!("{}\n{label}", diagnostic.message)
                    }
                    _ => diagnostic.message.clone(),
                };
                (severity, message)
            } else if let Some(label) = span.label.clone().filter(|l| !l.is_empty()) {
                ("info", label)
            } else {
                continue;
            };
            marks.push(Mark {
                severity,
                line: span.line_start,
                column: span.column_start,
                end_line: span.line_end.min(last_line),
                end_column: span.column_end,
                message,
                code: span.is_primary.then(|| diagnostic.code.clone()).flatten(),
                url: span.is_primary.then(|| diagnostic.code_url()).flatten(),
            });
        }
    }
    marks
}

/// UTF-16 offset in `text` of 1-based (`line`, `column`), columns in characters, clamped.
pub fn utf16_offset_of(text: &str, line: u32, column: u32) -> u32 {
    let mut offset = 0u32;
    for (index, content) in text.split_inclusive('\n').enumerate() {
        if index + 1 == line as usize {
            let before = content
                .trim_end_matches('\n')
                .chars()
                .take(column.max(1) as usize - 1);
            return offset + before.map(|c| c.len_utf16() as u32).sum::<u32>();
        }
        offset += content.chars().map(|c| c.len_utf16() as u32).sum::<u32>();
    }
    offset
}

/// A code editor: CodeMirror when its bundle loaded, otherwise a text area (editable) or the
/// server's highlighted HTML (read-only).
#[component]
pub fn CodeEditor(
    /// The handle the owner uses to read and change the editor; its initial document is shown.
    control: EditorControl,
    /// 1-based lines collapsed until the student shows them.
    hidden_lines: Vec<u32>,
    /// Whether the student may type.
    editable: bool,
    /// The fence language (`rust` gets Rust highlighting).
    #[prop(into)]
    language: String,
    /// What a screen reader announces for the editor.
    #[prop(into)]
    label: String,
    /// The server's highlighted HTML of the visible lines, shown until (or instead of) CodeMirror.
    #[prop(into)]
    fallback_html: String,
    /// Whether the hidden lines are shown; the editor may set it (a diagnostic on a hidden line).
    hidden_shown: RwSignal<bool>,
    /// Called after every change the student makes.
    #[prop(optional)]
    on_change: Option<Callback<String>>,
    /// Called for Ctrl/Cmd-Enter.
    #[prop(optional)]
    on_run: Option<Callback<()>>,
    /// Called for Ctrl/Cmd-Shift-F (format).
    #[prop(optional)]
    on_format: Option<Callback<()>>,
    /// Called for Ctrl/Cmd-Shift-L (Clippy).
    #[prop(optional)]
    on_clippy: Option<Callback<()>>,
    /// Called with the 1-based line when the cursor moves to another line.
    #[prop(optional)]
    on_cursor_line: Option<Callback<u32>>,
    /// Called with the 1-based line under the mouse, 0 when it leaves.
    #[prop(optional)]
    on_hover_line: Option<Callback<u32>>,
    /// A compiler view: read-only but focusable and searchable with Ctrl/Cmd-F.
    #[prop(optional)]
    view: bool,
) -> impl IntoView {
    let host = NodeRef::<Div>::new();
    let area = NodeRef::<Textarea>::new();
    let EditorBundle(bundle) = EditorBundle::get();
    EditorBundle(bundle).request();
    // A text area only when the bundle is gone for good: until it arrives, the server's
    // highlighted code stands in, so the page looks the same before and after.
    let use_text_area = Memo::new(move |_| editable && bundle.get() == Bundle::Unavailable);
    let initial_doc = control.doc();
    let fallback_html = if fallback_html.is_empty() {
        escape(&initial_doc)
    } else {
        fallback_html
    };
    // Taken by the one mount, so it also says whether the editor was mounted.
    let setup = StoredValue::new_local(Some(Setup {
        control,
        hidden_lines,
        editable,
        language: language.clone(),
        label: label.clone(),
        hidden_shown,
        on_change,
        on_run,
        on_format,
        on_clippy,
        on_cursor_line,
        on_hover_line,
        view,
    }));
    Effect::new(move |_| {
        if bundle.get() != Bundle::Ready {
            return;
        }
        let Some(parent) = host.get() else { return };
        let Some(setup) = setup.try_update_value(Option::take).flatten() else {
            return;
        };
        // One editor per task, in page order, after the first paint: a chapter with dozens of
        // examples shows its text at once, and the editors arrive a moment later.
        set_timeout(
            move || {
                // Skip blocks that left the page before their turn.
                if parent.is_connected() {
                    setup.mount_into(&parent);
                }
            },
            std::time::Duration::ZERO,
        );
    });
    // The toolbar's toggle drives the editor.
    Effect::new(move |_| {
        let shown = hidden_shown.get();
        control.set_hidden_shown(shown);
    });
    Effect::new(move |_| {
        if let Some(element) = area.get() {
            // Set here rather than with `prop:value`: a value set while the element is being
            // built is lost when its (empty) children are attached.
            element.set_value(&control.doc.get_untracked());
            control.backend.set_value(Some(Backend::TextArea(element)));
        }
    });
    on_cleanup(move || control.backend.set_value(None));

    let rows = (initial_doc.lines().count() + 1).clamp(3, 41);
    let keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
            ev.prevent_default();
            if let Some(callback) = on_run {
                callback.run(());
            }
        }
    };
    move || {
        if use_text_area.get() {
            view! {
                <textarea
                    class="code-editor"
                    node_ref=area
                    spellcheck="false"
                    autocapitalize="off"
                    aria-label=label.clone()
                    rows=rows
                    on:input=move |ev| {
                        let text = event_target_value(&ev);
                        control.doc.set(text.clone());
                        if let Some(callback) = on_change {
                            callback.run(text);
                        }
                    }
                    on:keydown=keydown
                ></textarea>
            }
            .into_any()
        } else {
            view! {
                <div class="editor-host" node_ref=host>
                    <pre>
                        <code class=format!("language-{language}") inner_html=fallback_html.clone()></code>
                    </pre>
                </div>
            }
            .into_any()
        }
    }
}

/// What a CodeMirror editor is created with.
struct Setup {
    control: EditorControl,
    hidden_lines: Vec<u32>,
    editable: bool,
    language: String,
    label: String,
    hidden_shown: RwSignal<bool>,
    on_change: Option<Callback<String>>,
    on_run: Option<Callback<()>>,
    on_format: Option<Callback<()>>,
    on_clippy: Option<Callback<()>>,
    on_cursor_line: Option<Callback<u32>>,
    on_hover_line: Option<Callback<u32>>,
    view: bool,
}

impl Setup {
    /// Creates the editor inside `parent`, replacing the placeholder.
    fn mount_into(self, parent: &web_sys::HtmlDivElement) {
        // The parts the callbacks capture (all `Copy`).
        let Setup {
            control,
            hidden_shown,
            on_change,
            on_run,
            on_format,
            on_clippy,
            on_cursor_line,
            on_hover_line,
            ..
        } = self;
        let doc = control.doc;
        let on_change_js = Closure::<dyn FnMut(String)>::new(move |text: String| {
            doc.set(text.clone());
            if let Some(callback) = on_change {
                callback.run(text);
            }
        });
        let on_run_js = Closure::<dyn FnMut()>::new(move || {
            if let Some(callback) = on_run {
                callback.run(());
            }
        });
        let on_hidden_js = Closure::<dyn FnMut(bool)>::new(move |shown: bool| {
            hidden_shown.set(shown);
        });
        let options = js_sys::Object::new();
        let set = |key: &str, value: &JsValue| {
            let _ = js_sys::Reflect::set(&options, &JsValue::from_str(key), value);
        };
        set("doc", &JsValue::from_str(&control.doc()));
        set("hiddenLines", &numbers(&self.hidden_lines));
        set("editable", &JsValue::from_bool(self.editable));
        set("language", &JsValue::from_str(&self.language));
        set("label", &JsValue::from_str(&self.label));
        set("onChange", on_change_js.as_ref());
        set("onRun", on_run_js.as_ref());
        set("onHiddenShownChange", on_hidden_js.as_ref());
        set("view", &JsValue::from_bool(self.view));
        let mut others = Vec::new();
        let mut optional = |key: &str, call: Option<Box<dyn Fn(JsValue)>>| {
            if let Some(call) = call {
                let closure = Closure::<dyn FnMut(JsValue)>::new(call);
                set(key, closure.as_ref());
                others.push(closure);
            }
        };
        let line = |value: &JsValue| value.as_f64().map_or(0, |n| n as u32);
        optional(
            "onFormat",
            on_format.map(|c| Box::new(move |_| c.run(())) as Box<dyn Fn(JsValue)>),
        );
        optional(
            "onClippy",
            on_clippy.map(|c| Box::new(move |_| c.run(())) as Box<dyn Fn(JsValue)>),
        );
        optional(
            "onCursorLine",
            on_cursor_line
                .map(|c| Box::new(move |v: JsValue| c.run(line(&v))) as Box<dyn Fn(JsValue)>),
        );
        optional(
            "onHoverLine",
            on_hover_line
                .map(|c| Box::new(move |v: JsValue| c.run(line(&v))) as Box<dyn Fn(JsValue)>),
        );
        // The placeholder (server-highlighted HTML) goes once the editor is in.
        parent.set_inner_html("");
        match mount_editor(parent, &options) {
            Ok(js) => {
                js.set_hidden_shown(hidden_shown.get_untracked());
                control.backend.set_value(Some(Backend::CodeMirror(Mounted {
                    js,
                    _on_change: on_change_js,
                    _on_run: on_run_js,
                    _on_hidden: on_hidden_js,
                    _others: others,
                })));
            }
            Err(error) => {
                leptos::logging::error!("the editor could not start: {error:?}");
                parent.set_inner_html(&format!(
                    "<pre><code>{}</code></pre>",
                    escape(&control.doc())
                ));
            }
        }
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use api_types::DiagnosticSpan;

    fn span(line: u32, primary: bool, label: Option<&str>) -> DiagnosticSpan {
        DiagnosticSpan {
            file: "src/main.rs".into(),
            line_start: line,
            line_end: line,
            column_start: 5,
            column_end: 9,
            is_primary: primary,
            label: label.map(str::to_owned),
        }
    }

    #[test]
    fn primary_spans_carry_the_message_and_secondary_labels_become_notes() {
        let diagnostics = vec![
            Diagnostic {
                level: Level::Error,
                message: "borrow of moved value: `s`".into(),
                code: Some("E0382".into()),
                spans: vec![
                    span(4, true, Some("value borrowed here after move")),
                    span(3, false, Some("value moved here")),
                    span(2, false, None),
                ],
                rendered: String::new(),
            },
            Diagnostic {
                level: Level::Note,
                message: "ignored".into(),
                code: None,
                spans: vec![span(1, true, None)],
                rendered: String::new(),
            },
            Diagnostic {
                level: Level::Warning,
                message: "unused variable".into(),
                code: None,
                spans: vec![span(40, true, None)],
                rendered: String::new(),
            },
        ];
        let marks = diagnostic_marks_in(&diagnostics, "src/main.rs", 10);
        assert_eq!(marks.len(), 2, "{marks:#?}");
        assert_eq!(marks[0].severity, "error");
        assert_eq!(
            marks[0].message,
            "borrow of moved value: `s`\nvalue borrowed here after move"
        );
        assert_eq!(marks[0].code.as_deref(), Some("E0382"));
        assert_eq!(
            marks[0].url.as_deref(),
            Some("https://doc.rust-lang.org/error_codes/E0382.html")
        );
        assert_eq!(
            (marks[1].severity, marks[1].line, marks[1].code.clone()),
            ("info", 3, None)
        );
    }

    #[test]
    fn only_spans_in_the_editors_file_are_marked_and_lints_link_their_docs() {
        let mut other = span(2, true, None);
        other.file = "src/shapes.rs".into();
        let diagnostics = vec![Diagnostic {
            level: Level::Warning,
            message: "the loop variable `i` is only used to index `v`".into(),
            code: Some("clippy::needless_range_loop".into()),
            spans: vec![span(3, true, None), other],
            rendered: String::new(),
        }];
        let main = diagnostic_marks_in(&diagnostics, "src/main.rs", 10);
        assert_eq!(main.len(), 1);
        assert_eq!((main[0].severity, main[0].line), ("warning", 3));
        assert_eq!(
            main[0].url.as_deref(),
            Some("https://rust-lang.github.io/rust-clippy/master/index.html#needless_range_loop")
        );
        let shapes = diagnostic_marks_in(&diagnostics, "src/shapes.rs", 10);
        assert_eq!(shapes.len(), 1);
        assert_eq!(shapes[0].line, 2);
        assert!(diagnostic_marks_in(&diagnostics, "src/lib.rs", 10).is_empty());
    }

    #[test]
    fn offsets_count_utf16_units() {
        let text = "fn main() {\n    let 🦀 = 1;\n}\n";
        assert_eq!(utf16_offset_of(text, 1, 1), 0);
        assert_eq!(utf16_offset_of(text, 2, 5), 12 + 4);
        // The crab is one character but two UTF-16 units.
        assert_eq!(utf16_offset_of(text, 2, 10), 12 + 8 + 2);
        assert_eq!(utf16_offset_of(text, 3, 1), 12 + 16);
        assert_eq!(utf16_offset_of(text, 99, 1), 12 + 16 + 2);
    }
}
