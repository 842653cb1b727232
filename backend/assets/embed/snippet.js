// The embedded snippet's script (/embed/snippet.js), run inside the iframe that /embed.js makes.
//
// The page arrives with the code already highlighted by the server; this script adds Run, the
// editor (the SPA's CodeMirror bundle, fetched only when the reader first clicks or tabs into the
// code), the output, and the messages to and from the embedding page. Everything shown from the
// code, the output or a message is set as text, never as HTML. Messages are obeyed only from the
// parent window at the origin the page was created for, and sent only to that origin.

const KEY = "rust-playground";
const MAX_CODE = 256 * 1024;

const data = JSON.parse(document.getElementById("snippet-data").textContent);
const origin = data.origin;
const framed = window.parent !== window;
// Chromium and Safari tell a frame who embeds it: a page that passes another site's origin to
// borrow its share of the queue, or to talk to this frame, is not obeyed.
const ancestors = location.ancestorOrigins;
const trusted = framed && !(ancestors && ancestors.length && ancestors[0] !== origin);

const codeEl = document.querySelector(".code");
const runButton = document.querySelector(".run");
const resetButton = document.querySelector(".reset");
const statusEl = document.querySelector(".status");
const outputEl = document.querySelector(".output");
const testsEl = document.querySelector(".tests");
const openLink = document.querySelector(".open");
const original = Array.from(codeEl.children, (child) => child.cloneNode(true));

if (data.height) codeEl.style.setProperty("--code-max-height", `${data.height}px`);

/** Sends a message to the embedding page (and to no other origin). */
function post(message) {
  if (trusted) window.parent.postMessage({ rmp: KEY, ...message }, origin);
}

// ---- The code, in segments: runs of read-only or editable lines ----------------------------

const lines = data.code.split(/(?<=\n)/);

/** The segments of the page as written by the server, each with its part of the program. */
function segmentsFromPage() {
  const pres = Array.from(codeEl.querySelectorAll(":scope > .seg"));
  return pres.map((el, i) => {
    const first = Number(el.dataset.first);
    const next = i + 1 < pres.length ? Number(pres[i + 1].dataset.first) : lines.length + 1;
    const hidden = data.hiddenLines
      .filter((line) => line >= first && line < next)
      .map((line) => line - first + 1);
    return {
      el,
      readOnly: el.classList.contains("ro"),
      text: lines.slice(first - 1, next - 1).join(""),
      hidden,
      editor: null,
      textarea: null,
    };
  });
}

let segments = segmentsFromPage();

function segmentText(segment) {
  if (segment.editor) return segment.editor.getDoc();
  if (segment.textarea) return segment.textarea.value;
  return segment.text;
}

/** The whole program: every segment's text, each ending its last line. */
function getCode() {
  return segments
    .map((segment, i) => {
      const text = segmentText(segment);
      return i + 1 < segments.length && text && !text.endsWith("\n") ? `${text}\n` : text;
    })
    .join("");
}

// ---- The editor, loaded on first use -------------------------------------------------------

let editorLoad = null;

function loadEditor() {
  if (!editorLoad) {
    editorLoad = new Promise((resolve, reject) => {
      if (!data.editorJs) return reject(new Error("no editor on this server"));
      if (data.editorCss) {
        const link = document.createElement("link");
        link.rel = "stylesheet";
        link.href = data.editorCss;
        document.head.append(link);
      }
      const script = document.createElement("script");
      script.src = data.editorJs;
      script.onload = () => (window.RmpEditor ? resolve(window.RmpEditor) : reject(new Error("no RmpEditor")));
      script.onerror = () => reject(new Error("the editor did not load"));
      document.head.append(script);
    });
  }
  return editorLoad;
}

let editing = false;

/** Turns every editable segment into an editor (or a text area if the editor cannot load). */
async function startEditing(focusSegment) {
  if (editing || !data.editable) return;
  editing = true;
  let RmpEditor = null;
  try {
    RmpEditor = await loadEditor();
  } catch (error) {
    console.warn("Rust snippet: editing in a text area:", error.message);
  }
  for (const segment of segments) {
    if (segment.readOnly || segment.editor || segment.textarea) continue;
    const text = segment.text;
    segment.el.replaceChildren();
    segment.el.removeAttribute("tabindex");
    if (RmpEditor) {
      segment.editor = RmpEditor.mount(segment.el, {
        doc: text,
        hiddenLines: segment.hidden,
        editable: true,
        language: "rust",
        label: "Rust code",
        onChange: codeChanged,
        onRun: run,
      });
    } else {
      const area = document.createElement("textarea");
      area.value = text;
      area.spellcheck = false;
      area.setAttribute("aria-label", "Rust code");
      area.rows = text.split("\n").length;
      area.addEventListener("input", codeChanged);
      segment.el.append(area);
      segment.textarea = area;
    }
  }
  const target = focusSegment && (focusSegment.editor || focusSegment.textarea);
  if (target) target.focus();
}

function watchForEditing() {
  if (!data.editable) return;
  for (const segment of segments) {
    if (segment.readOnly) continue;
    segment.el.tabIndex = 0;
    segment.el.setAttribute("aria-label", "Rust code: press Enter or click to edit");
    const start = () => startEditing(segment);
    segment.el.addEventListener("pointerdown", start, { once: true });
    segment.el.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        start();
      }
    });
  }
}

let changeTimer = 0;

function codeChanged() {
  resetButton.hidden = false;
  clearTimeout(changeTimer);
  changeTimer = setTimeout(() => {
    const code = getCode();
    updateOpenLink(code);
    post({ type: "code-changed", code });
  }, 100);
}

/** Replaces the whole program (the host's `setCode`): one editable segment, no hidden lines. */
async function setCode(code) {
  for (const segment of segments) segment.editor?.destroy();
  const pre = document.createElement("pre");
  pre.className = data.editable ? "seg" : "seg ro";
  pre.dataset.first = "1";
  const inner = document.createElement("code");
  inner.textContent = code;
  pre.append(inner);
  codeEl.replaceChildren(pre);
  segments = [{ el: pre, readOnly: !data.editable, text: code, hidden: [], editor: null, textarea: null }];
  editing = false;
  if (data.editable && editorLoad) await startEditing(null);
  else watchForEditing();
  codeChanged();
}

/** Back to the code as the page wrote it. */
function reset() {
  for (const segment of segments) segment.editor?.destroy();
  codeEl.replaceChildren(...original.map((node) => node.cloneNode(true)));
  segments = segmentsFromPage();
  editing = false;
  watchForEditing();
  resetButton.hidden = true;
  const code = getCode();
  updateOpenLink(code);
  post({ type: "code-changed", code });
}

// ---- "Open in the playground": the share fragment (frontend/src/share_link.rs) --------------

/** base64url, no padding, of the UTF-8 JSON of `api_types::share::SharedCode`. */
function fragmentOf(code) {
  const share = {
    files: [{ path: "src/main.rs", contents: code }],
    runner: data.runner,
    edition: data.edition,
    mode: data.mode,
    action: data.action,
  };
  const bytes = new TextEncoder().encode(JSON.stringify(share));
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function updateOpenLink(code) {
  openLink.href = `/s#${fragmentOf(code)}`;
}

// ---- Running -------------------------------------------------------------------------------

let socket = null;

function browserId() {
  try {
    let id = localStorage.getItem("rmp-embed-browser");
    if (!id || !/^[A-Za-z0-9_-]{8,64}$/.test(id)) {
      id = crypto.randomUUID();
      localStorage.setItem("rmp-embed-browser", id);
    }
    return id;
  } catch {
    return crypto.randomUUID(); // storage refused (third-party blocking): one id per page
  }
}

function setStatus(text, tone) {
  statusEl.textContent = text;
  statusEl.className = `status${tone ? ` ${tone}` : ""}`;
}

function append(kind, text) {
  const span = document.createElement("span");
  span.className = kind;
  span.textContent = text;
  outputEl.append(span);
  outputEl.hidden = false;
}

const OUTCOME_WORDS = {
  success: "Finished",
  compileError: "Did not compile",
  exitFailure: "Exited with an error",
  signaled: "Crashed",
  timedOut: "Took too long",
  outOfMemory: "Ran out of memory",
  killed: "Stopped",
  runnerUnavailable: "Cannot run here",
};

function run() {
  if (socket) return;
  const code = getCode();
  outputEl.replaceChildren();
  outputEl.hidden = true;
  testsEl.replaceChildren();
  testsEl.hidden = true;
  runButton.disabled = true;
  setStatus("Connecting…");
  post({ type: "run-started" });
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const query = new URLSearchParams({ browser: browserId(), site: origin });
  const ws = new WebSocket(`${scheme}://${location.host}/api/ws?${query}`);
  socket = ws;
  let done = false;
  const finish = (detail) => {
    if (done) return;
    done = true;
    socket = null;
    runButton.disabled = false;
    ws.close();
    post({ type: "finished", ...detail });
  };
  ws.onopen = () => {
    ws.send(
      JSON.stringify({
        type: "execute",
        code,
        runner: data.runner,
        edition: data.edition,
        mode: data.mode,
        action: data.action,
      }),
    );
  };
  ws.onmessage = (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    switch (message.type) {
      case "queued":
        setStatus(`Waiting for a free runner (${Number(message.position)} ahead)…`);
        break;
      case "cached":
        append("note", "(an earlier identical run's answer)\n");
        break;
      case "compiling":
        setStatus("Compiling…");
        break;
      case "running":
        setStatus("Running…");
        break;
      case "compiler":
      case "stdout":
      case "stderr": {
        const text = String(message.data);
        append(message.type, text);
        post({ type: "output", stream: message.type, data: text });
        break;
      }
      case "finished":
        showResult(message);
        finish({
          outcome: String(message.outcome?.kind),
          explanation: String(message.explanation ?? ""),
          tests: (message.tests ?? []).map((t) => ({ name: String(t.name), status: String(t.status) })),
        });
        break;
      case "error":
        setStatus(String(message.message), "bad");
        finish({ outcome: "error", explanation: String(message.message), tests: [] });
        break;
      default:
        break;
    }
  };
  ws.onclose = () => {
    if (!done) {
      setStatus("The connection to the playground closed before the run finished.", "bad");
      finish({ outcome: "error", explanation: "connection closed", tests: [] });
    }
  };
}

function showResult(message) {
  const kind = message.outcome?.kind;
  const words = OUTCOME_WORDS[kind] ?? String(kind);
  const tests = Array.isArray(message.tests) ? message.tests : [];
  for (const test of tests) {
    const item = document.createElement("li");
    item.className = String(test.status);
    item.textContent = test.message ? `${test.name}: ${test.message}` : String(test.name);
    testsEl.append(item);
    testsEl.hidden = false;
    if (test.status === "passed" || test.status === "failed") {
      post({ type: `test-${test.status}`, name: String(test.name), message: String(test.message ?? "") });
    }
  }
  const passed = tests.filter((t) => t.status === "passed").length;
  const summary = tests.length ? ` · ${passed} of ${tests.length} tests passed` : "";
  setStatus(`${words}${summary}. ${message.explanation ?? ""}`.trim(), kind === "success" ? "ok" : "bad");
}

// ---- Messages from the embedding page -------------------------------------------------------

window.addEventListener("message", (event) => {
  if (!trusted || event.source !== window.parent || event.origin !== origin) return;
  const message = event.data;
  if (!message || typeof message !== "object" || message.rmp !== KEY) return;
  switch (message.type) {
    case "run":
      run();
      break;
    case "set-code":
      if (typeof message.code === "string" && message.code.length <= MAX_CODE) setCode(message.code);
      break;
    case "reset":
      reset();
      break;
    default:
      break;
  }
});

// ---- Start ----------------------------------------------------------------------------------

runButton.addEventListener("click", run);
resetButton.addEventListener("click", reset);
runButton.disabled = false;
watchForEditing();
updateOpenLink(getCode());

let lastHeight = 0;
new ResizeObserver(() => {
  const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
  if (height !== lastHeight) {
    lastHeight = height;
    post({ type: "height", height });
  }
}).observe(document.documentElement);

post({ type: "ready", code: getCode() });
document.documentElement.dataset.ready = "true";
