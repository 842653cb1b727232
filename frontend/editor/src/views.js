// Highlighting for the compiler's views (MIR, LLVM IR, assembly, type layouts): small stream
// tokenizers whose token names map to the same `tok-*` classes as Rust code (see highlight.js), so
// a view uses the theme's colours. They colour what helps reading, not everything: comments,
// labels and basic blocks, directives, strings, numbers, keywords and instructions.

import { StreamLanguage } from "@codemirror/language";

/** Words that read as keywords in MIR. */
const MIR_KEYWORDS = new Set([
  "fn", "let", "mut", "const", "static", "debug", "scope", "goto", "return", "switchInt", "drop",
  "unreachable", "assert", "move", "copy", "bb", "unwind", "continue", "resume", "terminate",
  "otherwise", "StorageLive", "StorageDead", "discriminant", "as", "cleanup", "true", "false",
  "impl", "for", "in", "where", "unsafe", "pub", "struct", "enum", "ref", "yield", "await",
]);

/** LLVM IR keywords and instructions. */
const LLVM_KEYWORDS = new Set([
  "define", "declare", "global", "constant", "private", "internal", "unnamed_addr", "local_unnamed_addr",
  "dso_local", "noundef", "nonnull", "align", "dereferenceable", "noalias", "readonly", "nocapture",
  "call", "invoke", "tail", "ret", "br", "switch", "label", "to", "unwind", "resume", "unreachable",
  "alloca", "load", "store", "getelementptr", "inbounds", "add", "sub", "mul", "udiv", "sdiv",
  "urem", "srem", "and", "or", "xor", "shl", "lshr", "ashr", "icmp", "fcmp", "phi", "select",
  "zext", "sext", "trunc", "bitcast", "ptrtoint", "inttoptr", "extractvalue", "insertvalue",
  "landingpad", "cleanup", "nuw", "nsw", "eq", "ne", "ugt", "uge", "ult", "ule", "sgt", "sge",
  "slt", "sle", "attributes", "personality", "type", "zeroinitializer", "undef", "poison", "null",
  "true", "false", "void", "ptr", "fastcc", "internal", "linkonce_odr", "weak", "hidden",
]);

/** Reads a `"…"` string with backslash escapes, the opening quote included. */
function eatQuoted(stream) {
  stream.next();
  let escaped = false;
  let ch;
  while ((ch = stream.next()) !== undefined) {
    if (ch === '"' && !escaped) break;
    escaped = !escaped && ch === "\\";
  }
}

/**
 * A tokenizer for x86-64 assembly in Intel or AT&T syntax, as rustc emits it: `#` and `;` start
 * comments, `name:` is a label, `.name` a directive, `%reg` a register (AT&T), `$1` an immediate.
 */
export const asmParser = {
  name: "asm",
  startState: () => ({ lineStart: true, sawInstruction: false }),
  token(stream, state) {
    if (stream.sol()) {
      state.lineStart = true;
      state.sawInstruction = false;
    }
    if (stream.eatSpace()) return null;
    if (stream.match(/^[#;]/) || stream.match("//")) {
      stream.skipToEnd();
      return "comment";
    }
    if (stream.peek() === '"') {
      eatQuoted(stream);
      return "string";
    }
    const first = state.lineStart;
    state.lineStart = false;
    // A label: anything up to a colon at the start of a line (mangled names included).
    if (first && stream.match(/^[^\s#;"]+:(?=\s|$)/)) return "labelName";
    if (stream.match(/^\.[A-Za-z_][\w.]*/)) return first ? "meta" : "labelName";
    if (stream.match(/^%[A-Za-z]\w*/)) return "variableName.special";
    if (stream.match(/^\$?-?(0x[0-9a-fA-F]+|\d+)\b/)) return "number";
    if (stream.match(/^[A-Za-z_][\w$.@]*/)) {
      if (!state.sawInstruction) {
        state.sawInstruction = true;
        return "keyword";
      }
      return /^(byte|word|dword|qword|xmmword|ymmword|ptr|offset)$/i.test(stream.current()) ? "typeName" : null;
    }
    stream.next();
    return null;
  },
};

/** LLVM IR: `;` comments, `%local` and `@global` names, `label:`, types, keywords. */
export const llvmParser = {
  name: "llvm-ir",
  startState: () => ({}),
  token(stream) {
    if (stream.eatSpace()) return null;
    if (stream.eat(";")) {
      stream.skipToEnd();
      return "comment";
    }
    if (stream.match(/^c?"/)) {
      let ch;
      while ((ch = stream.next()) !== undefined) if (ch === '"') break;
      return "string";
    }
    if (stream.sol() && stream.match(/^[\w.$-]+:/)) return "labelName";
    if (stream.match(/^[%@](?:"[^"]*"|[\w.$-]+)/)) return stream.current()[0] === "@" ? "variableName.function" : "variableName.special";
    if (stream.match(/^#\d+/) || stream.match(/^![\w.]+/)) return "meta";
    if (stream.match(/^(i\d+|half|float|double|fp128|x86_fp80)\b/)) return "typeName";
    if (stream.match(/^-?(0x[0-9a-fA-F]+|\d+(\.\d+)?(e[+-]?\d+)?)\b/)) return "number";
    if (stream.match(/^[A-Za-z_][\w.]*/)) return LLVM_KEYWORDS.has(stream.current()) ? "keyword" : null;
    stream.next();
    return null;
  },
};

/** MIR: `//` comments, `bb0:` blocks and `bb0` targets, `_1` locals, keywords, types, literals. */
export const mirParser = {
  name: "mir",
  startState: () => ({}),
  token(stream) {
    if (stream.eatSpace()) return null;
    if (stream.match("//")) {
      stream.skipToEnd();
      return "comment";
    }
    if (stream.peek() === '"') {
      eatQuoted(stream);
      return "string";
    }
    if (stream.match(/^bb\d+(\[\w+\])?\b/)) return "labelName";
    if (stream.match(/^_\d+\b/)) return "variableName.special";
    if (stream.match(/^'\w+/)) return "labelName";
    if (stream.match(/^-?\d+(_?[iuf](8|16|32|64|128|size))?\b/)) return "number";
    if (stream.match(/^[A-Z]\w*/)) return MIR_KEYWORDS.has(stream.current()) ? "keyword" : "typeName";
    if (stream.match(/^[a-z_]\w*!/)) return "macroName";
    if (stream.match(/^[a-z_]\w*/)) {
      const word = stream.current();
      if (MIR_KEYWORDS.has(word)) return "keyword";
      if (/^(u|i)(8|16|32|64|128|size)$|^(f32|f64|bool|char|str)$/.test(word)) return "typeName";
      return stream.peek() === "(" ? "variableName.function" : null;
    }
    stream.next();
    return null;
  },
};

/** `-Zprint-type-sizes`: the prefix as meta, backquoted types as types, sizes as numbers. */
export const layoutParser = {
  name: "type-layout",
  startState: () => ({}),
  token(stream) {
    if (stream.eatSpace()) return null;
    if (stream.match("print-type-size")) return "meta";
    if (stream.match(/^`[^`]*`/)) return "typeName";
    if (stream.match(/^\d+\b/)) return "number";
    if (stream.match(/^(type|field|variant|padding|end padding|discriminant|bytes|alignment|upvar|local)\b/)) return "keyword";
    stream.next();
    return null;
  },
};

const PARSERS = {
  asm: asmParser,
  "llvm-ir": llvmParser,
  mir: mirParser,
  "type-layout": layoutParser,
};

/**
 * The StreamLanguage for a view language name, or null for anything else.
 * @param {string} name  "asm", "llvm-ir", "mir" or "type-layout"
 */
export function viewLanguage(name) {
  const parser = PARSERS[name];
  return parser ? StreamLanguage.define(parser) : null;
}
