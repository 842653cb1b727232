// Rust highlighting that emits the server highlighter's classes (course/src/highlight.rs), so code
// highlighted by the server and code highlighted in the editor look the same and share one set of
// colours (the --tok-* variables of the app's style sheet).

import { RangeSetBuilder } from "@codemirror/state";
import { Decoration, ViewPlugin } from "@codemirror/view";
import { LanguageSupport, syntaxHighlighting, syntaxTree } from "@codemirror/language";
import { rustLanguage } from "@codemirror/lang-rust";
import { styleTags, tagHighlighter, tags as t } from "@lezer/highlight";

import { viewLanguage } from "./views.js";

/**
 * Lezer tags to the server's `tok-*` classes. A rule for a tag also covers its sub-tags (every
 * kind of keyword is a `keyword`, integers and floats are `number`s, `function(definition(x))` is
 * a `function(x)`), and the most specific rule wins.
 */
export const rmpHighlighter = tagHighlighter([
  // `self` and `Self` are keywords for the server too; so are `true` and `false`.
  { tag: [t.keyword, t.bool], class: "tok-kw" },
  // Path segments (`std`, `Vec` in `Vec::new`) are namespaces to Lezer; `capitalisedWords` below
  // colours the capitalised ones, as the server does.
  { tag: [t.typeName, t.className], class: "tok-ty" },
  { tag: [t.string, t.character], class: "tok-str" },
  { tag: t.number, class: "tok-num" },
  { tag: t.comment, class: "tok-com" },
  { tag: t.macroName, class: "tok-mac" },
  { tag: t.meta, class: "tok-attr" },
  // Lezer tags lifetimes `special(variableName)` and loop labels `labelName`; the server calls
  // both lifetimes.
  { tag: [t.special(t.variableName), t.labelName], class: "tok-life" },
  // Called functions, defined functions and called methods: the server marks a word followed by `(`.
  { tag: [t.function(t.variableName), t.function(t.propertyName)], class: "tok-fn" },
]);

/** Rust with the few extra tags the server highlighter has and @lezer/rust leaves out. */
const rmpRust = rustLanguage.configure({
  props: [
    styleTags({
      // `Self` is a keyword on the server; Lezer gives it no tag at all.
      SelfType: t.self,
      // The server colours a whole attribute. (The outer attribute's `#` is no node in Lezer's
      // tree, so it stays plain.)
      "InnerAttribute/...": t.meta,
      // @lezer/rust tags every `!` token as part of a macro name, negation included.
      'LogicOp/"!"': t.logicOperator,
      // Paths and turbofish calls: the server colours any word followed by `(`.
      "CallExpression/ScopedIdentifier/Identifier CallExpression/GenericFunction/Identifier CallExpression/GenericFunction/ScopedIdentifier/Identifier":
        t.function(t.variableName),
      "CallExpression/GenericFunction/FieldExpression/FieldIdentifier": t.function(t.propertyName),
    }),
  ],
});

const typeMark = Decoration.mark({ class: "tok-ty" });

/** Whether an identifier node already gets a class from the tags (calls and macro names). */
function isTagged(node) {
  const parent = node.parent;
  if (!parent) return false;
  if (parent.name === "CallExpression" || parent.name === "MacroInvocation") return true;
  const grand = parent.parent;
  return (
    (parent.name === "ScopedIdentifier" || parent.name === "GenericFunction") &&
    grand !== null &&
    (grand.name === "CallExpression" || grand.name === "MacroInvocation" || grand.name === "GenericFunction")
  );
}

/**
 * The server colours every capitalised word as a type (`Vec` in `Vec::new`, `HashMap` in a `use`,
 * `None`, `Ordering::Relaxed`), which tags cannot express because they do not see the text. This
 * marks the identifiers that the tags leave plain and that start with a capital letter.
 */
const capitalisedWords = ViewPlugin.fromClass(
  class {
    constructor(view) {
      this.decorations = this.build(view);
    }
    update(update) {
      if (update.docChanged || update.viewportChanged || syntaxTree(update.startState) !== syntaxTree(update.state)) {
        this.decorations = this.build(update.view);
      }
    }
    build(view) {
      const builder = new RangeSetBuilder();
      const doc = view.state.doc;
      for (const { from, to } of view.visibleRanges) {
        syntaxTree(view.state).iterate({
          from,
          to,
          enter: (ref) => {
            // Attributes are coloured whole, like the server does.
            if (ref.name === "Attribute" || ref.name === "InnerAttribute") return false;
            if (ref.name !== "Identifier" && ref.name !== "ScopeIdentifier") return;
            const first = doc.sliceString(ref.from, ref.from + 1);
            if (first !== first.toUpperCase() || first === first.toLowerCase()) return;
            if (!isTagged(ref.node)) builder.add(ref.from, ref.to, typeMark);
          },
        });
      }
      return builder.finish();
    }
  },
  { decorations: (plugin) => plugin.decorations },
);

/**
 * The extensions for `language`: Rust highlighting and indentation for "rust" (or "rs"), the
 * compiler views' tokenizers for "mir", "llvm-ir", "asm" and "type-layout" (views.js), nothing
 * for any other language (its text stays plain, as the server leaves it).
 * @param {string} language
 */
export function languageExtensions(language) {
  if (language === "rust" || language === "rs") {
    return [new LanguageSupport(rmpRust), syntaxHighlighting(rmpHighlighter), capitalisedWords];
  }
  const view = viewLanguage(language);
  if (view) return [view, syntaxHighlighting(rmpHighlighter)];
  return [];
}
