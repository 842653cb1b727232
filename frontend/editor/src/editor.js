// The code editor of Rust Mastery Playground: CodeMirror 6 with the pieces the app needs, bundled by
// esbuild into one script whose exports become the global `RmpEditor` (see README.md). The Leptos
// app drives it through wasm-bindgen, so the API is small, plain and takes no CodeMirror types.

import {
  Annotation,
  Compartment,
  EditorSelection,
  EditorState,
  Prec,
  RangeSetBuilder,
  StateEffect,
  StateField,
  Transaction,
  findClusterBreak,
} from "@codemirror/state";
import {
  Decoration,
  EditorView,
  ViewPlugin,
  WidgetType,
  drawSelection,
  highlightActiveLine,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import {
  defaultKeymap,
  history,
  historyKeymap,
  indentWithTab,
  invertedEffects,
  isolateHistory,
} from "@codemirror/commands";
import { bracketMatching, indentOnInput, indentUnit } from "@codemirror/language";
import { lintGutter, setDiagnostics as lintDiagnostics } from "@codemirror/lint";
import { openSearchPanel, search, searchKeymap } from "@codemirror/search";
// A relative path because the package's `exports` hide package.json; esbuild keeps only `version`.
import { version as viewVersion } from "../node_modules/@codemirror/view/package.json";

import { languageExtensions } from "./highlight.js";

/** The @codemirror/view version in this bundle, for bug reports. */
export const version = viewVersion;

// ---------------------------------------------------------------------------------------------
// Hidden lines

/**
 * Marks a transaction made by an API call that must not call back (`setDoc` must not fire
 * `onChange`, `setHiddenShown` must not fire `onHiddenShownChange`) and must not be filtered.
 */
const fromApi = Annotation.define();

/** Show (true) or collapse (false) the hidden lines. */
const setShown = StateEffect.define();

/** Replace the hidden lines with these line-start offsets (for `setDoc`, and its undo). */
const resetHidden = StateEffect.define();

/**
 * @typedef {object} Hidden
 * @property {number[]} starts  sorted offsets of the hidden lines' starts in the current document
 * @property {boolean} shown    whether the hidden lines are displayed
 * @property {import("@codemirror/view").DecorationSet} deco  block replacements or line classes
 */

/** Zero-height stand-in for collapsed lines: the lines simply disappear, as in rustdoc. */
class HiddenGap extends WidgetType {
  eq() {
    return true;
  }
  toDOM() {
    const div = document.createElement("div");
    div.className = "cm-hidden-gap";
    div.setAttribute("aria-hidden", "true");
    return div;
  }
  get estimatedHeight() {
    return 0;
  }
}

const collapsed = Decoration.replace({ block: true, widget: new HiddenGap() });
const dimmed = Decoration.line({ class: "cm-hidden-line" });

/**
 * Offsets of the starts of the 1-based `lines`, skipping numbers outside the document.
 * @param {import("@codemirror/state").Text} doc
 * @param {number[]} lines
 */
function startsOf(doc, lines) {
  const starts = [];
  for (const n of [...new Set(lines)].sort((a, b) => a - b)) {
    if (Number.isInteger(n) && n >= 1 && n <= doc.lines) starts.push(doc.line(n).from);
  }
  return starts;
}

/**
 * Moves the hidden-line markers through an edit. A marker follows its line's text: a line inserted
 * above pushes it down, and a marker whose whole line (text and one line break) was deleted goes
 * away instead of landing on a neighbour, which would hide the student's own code.
 * @param {number[]} starts
 * @param {import("@codemirror/state").Transaction} tr
 */
function mapStarts(starts, tr) {
  const oldDoc = tr.startState.doc;
  const newDoc = tr.state.doc;
  const out = [];
  for (const start of starts) {
    const line = oldDoc.lineAt(start);
    let from = line.from;
    let to = line.to;
    if (line.number < oldDoc.lines) to += 1;
    else if (line.number > 1) from -= 1;
    let deleted = false;
    tr.changes.iterChangedRanges((fromA, toA) => {
      if (fromA <= from && toA >= to && to > from) deleted = true;
    });
    if (deleted) continue;
    const moved = newDoc.lineAt(tr.changes.mapPos(start, 1)).from;
    if (out.length === 0 || out[out.length - 1] < moved) out.push(moved);
  }
  return out;
}

/**
 * Runs of consecutive hidden lines, as document ranges from the first line's start to the last
 * line's end.
 * @param {import("@codemirror/state").Text} doc
 * @param {number[]} starts
 * @returns {{from: number, to: number}[]}
 */
function hiddenRuns(doc, starts) {
  const runs = [];
  let run = null;
  for (const start of starts) {
    const line = doc.lineAt(start);
    if (run && run.lastNumber + 1 === line.number) {
      run.to = line.to;
      run.lastNumber = line.number;
    } else {
      run = { from: line.from, to: line.to, lastNumber: line.number };
      runs.push(run);
    }
  }
  return runs.map(({ from, to }) => ({ from, to }));
}

/**
 * @param {import("@codemirror/state").Text} doc
 * @param {number[]} starts
 * @param {boolean} shown
 */
function buildDeco(doc, starts, shown) {
  if (shown) return Decoration.set(starts.map((s) => dimmed.range(s)));
  const ranges = [];
  for (const { from, to } of hiddenRuns(doc, starts)) {
    // A single empty line cannot be replaced (the range would be empty), so it takes the line
    // break before it, or after it when it is the first line.
    if (from < to) ranges.push(collapsed.range(from, to));
    else if (from > 0) ranges.push(collapsed.range(from - 1, to));
    else if (to < doc.length) ranges.push(collapsed.range(from, to + 1));
  }
  return Decoration.set(ranges);
}

/** Line decorations for a hanging indent of `columns`, made once per width. */
const hangingLines = new Map();
function hangingLine(columns) {
  let deco = hangingLines.get(columns);
  if (!deco) {
    deco = Decoration.line({
      attributes: { style: `padding-left: calc(0.6rem + ${columns}ch); text-indent: -${columns}ch` },
    });
    hangingLines.set(columns, deco);
  }
  return deco;
}

/**
 * Long lines wrap instead of scrolling sideways: at a projector's text size a line that runs off
 * the box is code the room cannot see. A continuation starts two columns further in than its
 * line's own indentation, so a wrapped statement still reads as one.
 */
const wrapWithHangingIndent = [
  EditorView.lineWrapping,
  ViewPlugin.fromClass(
    class {
      constructor(view) {
        this.decorations = this.build(view);
      }
      update(update) {
        if (update.docChanged || update.viewportChanged) this.decorations = this.build(update.view);
      }
      build(view) {
        const builder = new RangeSetBuilder();
        for (const { from, to } of view.visibleRanges) {
          for (let pos = from; pos <= to; ) {
            const line = view.state.doc.lineAt(pos);
            const indent = /^[ \t]*/.exec(line.text)[0].replace(/\t/g, "    ").length;
            builder.add(line.from, line.from, hangingLine(indent + 2));
            pos = line.to + 1;
          }
        }
        return builder.finish();
      }
    },
    { decorations: (plugin) => plugin.decorations },
  ),
];

/** @type {StateField<Hidden>} */
const hiddenField = StateField.define({
  create() {
    return { starts: [], shown: false, deco: Decoration.none };
  },
  update(value, tr) {
    let { starts, shown } = value;
    if (tr.docChanged) starts = mapStarts(starts, tr);
    for (const effect of tr.effects) {
      if (effect.is(setShown)) shown = effect.value;
      else if (effect.is(resetHidden)) starts = effect.value;
    }
    if (!tr.docChanged && starts === value.starts && shown === value.shown) return value;
    return { starts, shown, deco: buildDeco(tr.state.doc, starts, shown) };
  },
  provide: (field) => [
    // Block decorations must come from state, not from a view plugin.
    EditorView.decorations.from(field, (value) => value.deco),
    // The cursor jumps over collapsed lines instead of entering text nobody can see.
    EditorView.atomicRanges.of((view) => {
      const value = view.state.field(field);
      return value.shown ? Decoration.none : value.deco;
    }),
  ],
});

/**
 * The stretches of the document an edit must not touch while the hidden lines are collapsed: each
 * run plus the line break after it (or up to the end of the document for a run at the end).
 * @param {EditorState} state
 */
function collapsedSpans(state) {
  const value = state.field(hiddenField);
  if (value.shown) return [];
  const doc = state.doc;
  return hiddenRuns(doc, value.starts).map(({ from, to }) =>
    to < doc.length ? { from, to: to + 1, atEnd: false } : { from, to: doc.length, atEnd: true },
  );
}

/**
 * `pos`, or the nearest position outside collapsed lines if it is inside them: the start of the
 * line after them, or the end of the line before them for lines at the end of the document.
 * @param {EditorState} state
 * @param {number} pos
 */
function visiblePos(state, pos) {
  for (const span of collapsedSpans(state)) {
    if (pos >= span.from && pos < span.to) return span.atEnd ? Math.max(0, span.from - 1) : span.to;
  }
  return pos;
}

/**
 * An edit that would change collapsed lines (typing at a collapsed run's edge, Backspace joining a
 * line to one, a selection spanning one) would change code the student cannot see. Such an edit is
 * dropped and the lines are shown instead, so the student sees what is there and can try again.
 */
const protectCollapsed = EditorState.transactionFilter.of((tr) => {
  if (!tr.docChanged || tr.annotation(fromApi) || tr.effects.some((e) => e.is(resetHidden))) return tr;
  const spans = collapsedSpans(tr.startState);
  if (spans.length === 0) return tr;
  let touches = false;
  tr.changes.iterChangedRanges((fromA, toA) => {
    for (const span of spans) {
      const startsBefore = fromA < span.to || (span.atEnd && fromA <= span.to);
      if (startsBefore && toA >= span.from) touches = true;
    }
  });
  if (!touches) return tr;
  return { effects: setShown.of(true), scrollIntoView: true };
});

/** Undo of `setDoc` (Reset) brings back the hidden lines the old document had. */
const undoableReset = invertedEffects.of((tr) => {
  if (!tr.effects.some((e) => e.is(resetHidden))) return [];
  return [resetHidden.of(tr.startState.field(hiddenField).starts)];
});

// ---------------------------------------------------------------------------------------------
// Positions and diagnostics

/**
 * The offset of a rustc position: 1-based line, 1-based column counted in Unicode scalar values.
 * CodeMirror counts UTF-16 units, so a character outside the BMP (an emoji) counts twice here.
 * Out-of-range positions are clamped to the document.
 * @param {import("@codemirror/state").Text} doc
 * @param {number} line
 * @param {number} column
 */
function offsetOf(doc, line, column) {
  if (!(line >= 1)) return 0;
  if (line > doc.lines) return doc.length;
  const { from, text } = doc.line(Math.floor(line));
  let left = column >= 1 ? Math.floor(column) - 1 : 0;
  let i = 0;
  while (left > 0 && i < text.length) {
    i += text.codePointAt(i) > 0xffff ? 2 : 1;
    left -= 1;
  }
  return from + i;
}

/**
 * The effects of a transaction spec as an array (a spec may hold one effect or a list).
 * @param {import("@codemirror/state").TransactionSpec} spec
 */
function effectsOf(spec) {
  return [].concat(spec.effects ?? []);
}

const SEVERITIES = new Set(["error", "warning", "info"]);

/**
 * The message as text plus the error code or lint name, linked to its documentation when the app
 * gives a `url` (the error index for `E0382`, Clippy's lint list for `clippy::...`).
 * @param {string} message
 * @param {string | null | undefined} code
 * @param {string | null | undefined} url
 */
function messageRenderer(message, code, url) {
  return () => {
    const span = document.createElement("span");
    span.textContent = message;
    if (typeof code === "string" && code !== "") {
      span.append(" ");
      let codeElement;
      if (typeof url === "string" && /^https:\/\//.test(url)) {
        codeElement = document.createElement("a");
        codeElement.href = url;
        codeElement.target = "_blank";
        codeElement.rel = "noopener";
      } else {
        codeElement = document.createElement("span");
      }
      codeElement.className = "diag-code";
      codeElement.textContent = code;
      span.append(codeElement);
    }
    return span;
  };
}

/**
 * @typedef {object} RustDiagnostic
 * @property {"error" | "warning" | "info"} severity
 * @property {number} line       1-based
 * @property {number} column     1-based, in Unicode scalar values
 * @property {number} endLine
 * @property {number} endColumn  exclusive
 * @property {string} message
 * @property {string | null} [code]  e.g. "E0308" or "clippy::needless_range_loop"
 * @property {string | null} [url]   where the code is documented
 */

/**
 * Converts a compiler diagnostic to CodeMirror's form: UTF-16 offsets inside the document, and at
 * least one character wide so the squiggle can be seen and hovered.
 * @param {import("@codemirror/state").Text} doc
 * @param {RustDiagnostic} d
 */
function toLintDiagnostic(doc, d) {
  let from = offsetOf(doc, d.line, d.column);
  let to = Math.max(from, offsetOf(doc, d.endLine ?? d.line, d.endColumn ?? d.column));
  if (from === to) {
    const line = doc.lineAt(from);
    if (from < line.to) to = line.from + findClusterBreak(line.text, from - line.from, true);
    else if (from > line.from) from = line.from + findClusterBreak(line.text, from - line.from, false);
    // An empty line keeps the empty range: @codemirror/lint draws a point marker for it.
  }
  const message = String(d.message ?? "");
  return {
    from,
    to,
    severity: SEVERITIES.has(d.severity) ? d.severity : "info",
    message: d.code ? `${message} [${d.code}]` : message,
    renderMessage: messageRenderer(message, d.code, d.url),
  };
}

// ---------------------------------------------------------------------------------------------
// Mapped lines: a compiler view's lines that came from the source line under the cursor, or the
// source line a hovered view line came from.

/** Replace the marked lines with these 1-based line numbers. */
const setMapped = StateEffect.define();

const mappedLine = Decoration.line({ class: "cm-mapped-line" });

const mappedField = StateField.define({
  create: () => Decoration.none,
  update(value, tr) {
    let deco = value.map(tr.changes);
    for (const effect of tr.effects) {
      if (effect.is(setMapped)) {
        const doc = tr.state.doc;
        const lines = [...new Set(effect.value)].filter((n) => Number.isInteger(n) && n >= 1 && n <= doc.lines);
        lines.sort((a, b) => a - b);
        deco = Decoration.set(lines.map((n) => mappedLine.range(doc.line(n).from)));
      }
    }
    return deco;
  },
  provide: (field) => EditorView.decorations.from(field),
});

// ---------------------------------------------------------------------------------------------
// The editor

/**
 * @typedef {object} MountOptions
 * @property {string} doc                 the full code
 * @property {number[]} [hiddenLines]     1-based lines hidden by default
 * @property {boolean} [editable]         false for a read-only block (default true)
 * @property {string} [language]          "rust" for Rust; anything else is plain text
 * @property {string} [label]             accessible name of the code area
 * @property {(doc: string) => void} [onChange]             after every edit (not after setDoc)
 * @property {() => void} [onRun]                           Ctrl-Enter / Cmd-Enter
 * @property {(shown: boolean) => void} [onHiddenShownChange]  when the editor itself shows or hides the hidden lines
 * @property {() => void} [onFormat]                        Ctrl-Shift-F / Cmd-Shift-F
 * @property {() => void} [onClippy]                        Ctrl-Shift-L / Cmd-Shift-L
 * @property {(line: number) => void} [onCursorLine]        when the cursor moves to another line
 * @property {(line: number) => void} [onHoverLine]         the line under the mouse (0 when it leaves)
 * @property {boolean} [view]             a compiler view: read-only but focusable, searchable (Ctrl-F)
 */

export class Editor {
  /**
   * @param {HTMLElement} parent
   * @param {MountOptions} options
   */
  constructor(parent, options) {
    const opts = options ?? {};
    this.editable = opts.editable !== false;
    this.onChange = opts.onChange;
    this.onRun = opts.onRun;
    this.onHiddenShownChange = opts.onHiddenShownChange;
    this.onFormat = opts.onFormat;
    this.onClippy = opts.onClippy;
    this.onCursorLine = opts.onCursorLine;
    this.onHoverLine = opts.onHoverLine;
    this.isView = opts.view === true;
    // Read-only blocks get the lint gutter only once they have diagnostics.
    this.gutterSlot = new Compartment();

    const runKey = Prec.highest(
      keymap.of([
        {
          key: "Mod-Enter",
          preventDefault: true,
          run: () => {
            if (!this.onRun) return false;
            this.onRun();
            return true;
          },
        },
        // Not bound by CodeMirror's default keymaps, nor by Chrome or Firefox on their own.
        {
          key: "Mod-Shift-f",
          preventDefault: true,
          run: () => {
            if (!this.onFormat) return false;
            this.onFormat();
            return true;
          },
        },
        {
          key: "Mod-Shift-l",
          preventDefault: true,
          run: () => {
            if (!this.onClippy) return false;
            this.onClippy();
            return true;
          },
        },
      ]),
    );
    let lastCursorLine = 0;
    let lastHoverLine = 0;
    const hover = (line) => {
      if (line !== lastHoverLine) {
        lastHoverLine = line;
        if (this.onHoverLine) this.onHoverLine(line);
      }
    };
    const pointer = EditorView.domEventHandlers({
      mousemove: (event, view) => {
        const pos = view.posAtCoords({ x: event.clientX, y: event.clientY });
        hover(pos === null ? 0 : view.state.doc.lineAt(pos).number);
      },
      mouseleave: () => hover(0),
    });
    // A keyboard reader tabbing through the page must not be caught by an editor: focus that
    // arrives without a pointer starts in tab-focus mode (Tab moves on, nothing is edited), and
    // the first key that types or moves inside the editor makes Tab indent, as it does for a
    // student who clicked in.
    let pointerFocus = false;
    const modifierOnly = new Set(["Tab", "Shift", "Control", "Alt", "Meta", "Escape", "CapsLock"]);
    const tabEntry = EditorView.domEventHandlers({
      pointerdown: () => {
        pointerFocus = true;
      },
      focus: (_event, view) => {
        view.setTabFocusMode(!pointerFocus);
        pointerFocus = false;
      },
      keydown: (event, view) => {
        if (!modifierOnly.has(event.key) && !event.ctrlKey && !event.metaKey && !event.altKey) {
          view.setTabFocusMode(false);
        }
        return false;
      },
    });

    const notify = EditorView.updateListener.of((update) => {
      const quiet = update.transactions.some((tr) => tr.annotation(fromApi));
      if (quiet) return;
      if (update.docChanged && this.onChange) this.onChange(update.state.doc.toString());
      const was = update.startState.field(hiddenField).shown;
      const now = update.state.field(hiddenField).shown;
      if (was !== now && this.onHiddenShownChange) this.onHiddenShownChange(now);
      if ((update.selectionSet || update.docChanged) && this.onCursorLine) {
        const line = update.state.doc.lineAt(update.state.selection.main.head).number;
        if (line !== lastCursorLine) {
          lastCursorLine = line;
          this.onCursorLine(line);
        }
      }
    });

    const hiddenLines = opts.hiddenLines ?? [];
    const extensions = [
      hiddenField.init((state) => {
        const starts = startsOf(state.doc, hiddenLines);
        return { starts, shown: false, deco: buildDeco(state.doc, starts, false) };
      }),
      protectCollapsed,
      lineNumbers(),
      drawSelection(),
      bracketMatching(),
      indentUnit.of("    "),
      EditorState.tabSize.of(4),
      languageExtensions(String(opts.language ?? "")),
      EditorView.editorAttributes.of({ class: "rmp-editor" }),
      // tabindex: every editor's content is in the Tab order, explicitly (a contenteditable one is
      // already, but checkers such as axe look for the attribute on a scrollable region's content).
      EditorView.contentAttributes.of({ "aria-label": String(opts.label ?? "Code"), tabindex: "0" }),
      runKey,
      notify,
      pointer,
      mappedField,
    ];
    // Compiler views (MIR, assembly) keep their columns; code a student reads wraps.
    if (!this.isView) extensions.push(wrapWithHangingIndent);
    if (this.isView) {
      // Read-only, but focusable, so the keyboard can move through it and Ctrl-F searches it.
      extensions.push(
        EditorState.readOnly.of(true),
        highlightActiveLine(),
        search({ top: true }),
        keymap.of([...searchKeymap, ...defaultKeymap]),
        this.gutterSlot.of([]),
      );
    } else if (this.editable) {
      extensions.push(
        history(),
        undoableReset,
        indentOnInput(),
        highlightActiveLine(),
        highlightActiveLineGutter(),
        this.gutterSlot.of(lintGutter()),
        // Tab indents once the student types (see tabEntry); Escape then Tab, or Ctrl-M
        // (Shift-Alt-M on macOS) first, moves focus on.
        tabEntry,
        keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
      );
    } else {
      // Read-only, and still reachable by Tab (the tabindex above): a long line scrolls sideways,
      // and a keyboard user must be able to reach the scroller to read it (WCAG 2.1.1).
      extensions.push(EditorState.readOnly.of(true), EditorView.editable.of(false), this.gutterSlot.of([]));
    }

    const state = EditorState.create({ doc: String(opts.doc ?? ""), extensions });
    // The cursor starts on the first visible line, so that Tab into the editor and typing act on
    // code the student can see.
    const start = state.update({
      selection: EditorSelection.cursor(visiblePos(state, 0)),
      annotations: Transaction.addToHistory.of(false),
    });
    this.view = new EditorView({ state: start.state, parent });
  }

  /** The current code. */
  getDoc() {
    return this.view.state.doc.toString();
  }

  /** The 1-based lines that are hidden lines now, after the student's edits. */
  getHiddenLines() {
    const { state } = this.view;
    return state.field(hiddenField).starts.map((start) => state.doc.lineAt(start).number);
  }

  /**
   * Replaces the whole document (Reset). Clears diagnostics; keeps whether hidden lines are
   * shown; undoable with Ctrl-Z. Does not call `onChange`.
   * @param {string} doc
   * @param {number[]} hiddenLines
   */
  setDoc(doc, hiddenLines) {
    const { state } = this.view;
    const text = state.toText(String(doc ?? ""));
    const spec = {
      changes: { from: 0, to: state.doc.length, insert: text },
      // Hidden lines are counted in the new document.
      effects: [resetHidden.of(startsOf(text, hiddenLines ?? [])), ...effectsOf(lintDiagnostics(state, []))],
      // Its own undo step, never merged with the edits before it.
      annotations: [fromApi.of(true), isolateHistory.of("full")],
    };
    const next = state.update(spec).state;
    this.view.dispatch({ ...spec, selection: EditorSelection.cursor(visiblePos(next, 0)) });
  }

  /**
   * Shows or collapses the hidden lines. Does not call `onHiddenShownChange`.
   * @param {boolean} shown
   */
  setHiddenShown(shown) {
    const { state } = this.view;
    const spec = { effects: setShown.of(Boolean(shown)), annotations: fromApi.of(true) };
    if (!shown) {
      // A cursor inside lines about to disappear moves to the nearest visible position.
      const head = state.selection.main.head;
      const moved = visiblePos(state.update({ effects: setShown.of(false) }).state, head);
      if (moved !== head) spec.selection = EditorSelection.cursor(moved);
    }
    this.view.dispatch(spec);
  }

  /** Whether the hidden lines are displayed. */
  hiddenShown() {
    return this.view.state.field(hiddenField).shown;
  }

  /**
   * Shows compiler diagnostics as squiggles, gutter marks and hover tooltips; `[]` clears them.
   * A diagnostic starting on a collapsed hidden line shows the hidden lines (and tells
   * `onHiddenShownChange`), because a squiggle nobody can see helps nobody.
   * @param {RustDiagnostic[]} list
   */
  setDiagnostics(list) {
    const { state } = this.view;
    const doc = state.doc;
    const items = Array.isArray(list) ? list : [];
    const diagnostics = items.map((d) => toLintDiagnostic(doc, d));
    const effects = effectsOf(lintDiagnostics(state, diagnostics));
    const hidden = state.field(hiddenField);
    if (!hidden.shown && hidden.starts.length > 0) {
      const hiddenLines = new Set(hidden.starts.map((s) => doc.lineAt(s).number));
      if (diagnostics.some((d) => hiddenLines.has(doc.lineAt(d.from).number))) effects.push(setShown.of(true));
    }
    if (!this.editable) {
      effects.push(this.gutterSlot.reconfigure(diagnostics.length > 0 ? lintGutter() : []));
    }
    this.view.dispatch({ effects });
  }

  /**
   * Puts the cursor at a rustc position (1-based line and column in Unicode scalar values),
   * scrolls it into view and focuses the editor. A position in collapsed lines shows them.
   * @param {number} line
   * @param {number} column
   */
  goTo(line, column) {
    const { state } = this.view;
    const pos = offsetOf(state.doc, line, column);
    const effects = [];
    if (collapsedSpans(state).some((span) => pos >= span.from && pos < span.to)) effects.push(setShown.of(true));
    this.view.dispatch({ selection: EditorSelection.cursor(pos), effects, scrollIntoView: true });
    this.view.focus();
  }

  focus() {
    this.view.focus();
  }

  /**
   * Marks the 1-based `lines` (a compiler view's lines from one source line, or the source line of
   * a hovered view line); `[]` clears. With `scroll`, the first one is scrolled into view.
   * @param {number[]} lines
   * @param {boolean} scroll
   */
  setHighlight(lines, scroll) {
    const list = Array.isArray(lines) ? lines : [];
    const effects = [setMapped.of(list)];
    const doc = this.view.state.doc;
    const first = list.filter((n) => Number.isInteger(n) && n >= 1 && n <= doc.lines).sort((a, b) => a - b)[0];
    if (scroll && first !== undefined) effects.push(EditorView.scrollIntoView(doc.line(first).from, { y: "center" }));
    this.view.dispatch({ effects });
  }

  /** Opens the search panel (what Ctrl-F does in a view). */
  openSearch() {
    openSearchPanel(this.view);
  }

  /**
   * Copies the whole document to the clipboard; resolves to whether that worked.
   * @returns {Promise<boolean>}
   */
  copyDoc() {
    const text = this.getDoc();
    if (!navigator.clipboard) return Promise.resolve(false);
    return navigator.clipboard.writeText(text).then(
      () => true,
      () => false,
    );
  }

  /** Removes the editor from the page; the instance must not be used afterwards. */
  destroy() {
    this.onChange = this.onRun = this.onHiddenShownChange = undefined;
    this.onFormat = this.onClippy = this.onCursorLine = this.onHoverLine = undefined;
    this.view.destroy();
  }
}

/**
 * Creates an editor inside `parent`.
 * @param {HTMLElement} parent
 * @param {MountOptions} options
 * @returns {Editor}
 */
export function mount(parent, options) {
  return new Editor(parent, options);
}

/**
 * The whole document of the editor that `element` is in (or `null`): every line, drawn or not.
 * A page's text (`innerText`) holds only the lines CodeMirror has drawn, which are those near
 * the viewport; scripts and tests that need the code read it here.
 * @param {Element} element
 * @returns {string | null}
 */
export function docOf(element) {
  const host = element?.closest?.(".cm-editor");
  const view = host ? EditorView.findFromDOM(host) : null;
  return view ? view.state.doc.toString() : null;
}
