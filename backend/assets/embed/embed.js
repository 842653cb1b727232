/* Rust Mastery Playground embed: <script src="https://<playground>/embed.js" defer></script>
 *
 * Upgrades every <pre><code class="language-rust"> block and every <rust-playground> element of
 * the page into a runnable snippet: an iframe from the playground's origin, created only as the
 * block nears the viewport (until then the page keeps its own <pre>). Options, as data attributes
 * on the <pre>, its <code> or the <rust-playground> element (which also takes them without
 * `data-`):
 *   data-editable="false"   read-only snippet (default: editable)
 *   data-runner="nightly"   stable (default), nightly, miri, loom, cortex-m
 *   data-edition="2021"     2015, 2018, 2021, 2024 (default)
 *   data-mode="release"     debug (default) or release
 *   data-action="test"      run (default) or test (runs the #[test] functions)
 *   data-readonly="1-3,9"   lines the reader cannot change
 *   data-theme="dark"       light, dark or auto (default: follows prefers-color-scheme)
 *   data-height="320"       the code area's greatest height in pixels (it scrolls beyond)
 *   data-playground="off"   leave this block alone
 * Lines written `# code` run but are not shown, as in rustdoc and mdBook.
 *
 * Events, dispatched on the original element (they bubble): rust-playground:ready,
 * rust-playground:run-started, rust-playground:output (detail.stream, detail.data),
 * rust-playground:finished (detail.outcome, detail.explanation, detail.tests),
 * rust-playground:test-passed and rust-playground:test-failed (detail.name),
 * rust-playground:code-changed (detail.code).
 * Instance API: element.rustPlayground.run(), .getCode(), .setCode(code), .reset(); every
 * instance is also in RustPlayground.instances. RustPlayground.upgrade(root) upgrades blocks
 * added later.
 *
 * Safety: the snippet's scripts and the page's cannot reach each other (different origins).
 * Messages from a frame are accepted only from that frame's window at the playground's origin,
 * and sent only to that origin.
 */
(function () {
  "use strict";
  if (window.RustPlayground) return; // the script was included twice

  var KEY = "rust-playground";
  var script = document.currentScript;
  var base = new URL(script ? script.src : "/embed.js", location.href);
  var PLAYGROUND = base.origin;
  var MAX_PARAM = 60000; // the server's limit on the code in the address (MAX_SNIPPET_PARAM)
  var OPTIONS = ["editable", "runner", "edition", "mode", "action", "readonly", "theme", "height"];
  var EVENTS = {
    "ready": 1, "run-started": 1, "output": 1, "finished": 1,
    "test-passed": 1, "test-failed": 1, "code-changed": 1
  };
  var instances = [];
  var byWindow = new Map();

  function option(els, name) {
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if (!el) continue;
      var value = el.getAttribute("data-" + name);
      if (value === null && el.localName === "rust-playground") value = el.getAttribute(name);
      if (value !== null) return value.trim();
    }
    return null;
  }

  /** base64url, no padding, of UTF-8 JSON: the playground's share fragment form. */
  function fragmentOf(share) {
    var bytes = new TextEncoder().encode(JSON.stringify(share));
    var binary = "";
    for (var i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function Instance(host, code, options) {
    this.element = host;
    this.code = code;
    this.original = code;
    this.options = options;
    this.program = null; // the whole program, once the frame has said it
    this.frame = null;
    this.note = null; // the link shown instead of a frame when the code is too long
    this.ready = false;
    this.pending = [];
  }

  Instance.prototype.src = function () {
    var o = this.options;
    var share = { files: [{ path: "src/main.rs", contents: this.original }] };
    if (o.runner) share.runner = o.runner;
    if (o.edition) share.edition = o.edition;
    if (o.mode) share.mode = o.mode;
    if (o.action) share.action = o.action;
    var s = fragmentOf(share);
    if (s.length > MAX_PARAM) {
      this.tooLong = s;
      return null;
    }
    var query = new URLSearchParams({ s: s, origin: location.origin });
    if (o.theme) query.set("theme", o.theme);
    if (o.editable) query.set("editable", o.editable === "false" ? "false" : "true");
    if (o.readonly) query.set("readonly", o.readonly);
    if (o.height) query.set("height", o.height);
    return PLAYGROUND + "/embed/snippet?" + query.toString();
  };

  /** Creates the frame (once); the page's own block stays until the snippet says it is ready. */
  Instance.prototype.load = function () {
    if (this.frame || this.note) return;
    var src = this.src();
    if (!src) {
      // Too long for an address the server accepts: a fragment link has no such limit.
      var note = document.createElement("p");
      var link = document.createElement("a");
      link.href = PLAYGROUND + "/s#" + this.tooLong;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = "This example is too long to run here: open it in the playground ↗";
      note.append(link);
      this.element.insertAdjacentElement("afterend", note);
      this.note = note;
      return;
    }
    var frame = document.createElement("iframe");
    frame.src = src;
    frame.title = "Runnable Rust code";
    frame.className = "rust-playground-frame";
    // No navigating the page, no forms, no dialogs. (On the playground's own pages the frame is
    // same-origin, where a sandbox that allows scripts and the origin means nothing.)
    if (PLAYGROUND !== location.origin) {
      frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-popups allow-popups-to-escape-sandbox");
    }
    frame.style.cssText = "display:block;width:100%;height:0;border:0;visibility:hidden;color-scheme:normal";
    this.element.insertAdjacentElement("afterend", frame);
    this.frame = frame;
    byWindow.set(frame.contentWindow, this);
  };

  Instance.prototype.send = function (message) {
    message.rmp = KEY;
    if (!this.ready) {
      this.pending.push(message);
      this.load();
      return;
    }
    this.frame.contentWindow.postMessage(message, PLAYGROUND);
  };

  Instance.prototype.run = function () { this.send({ type: "run" }); };
  Instance.prototype.getCode = function () { return this.code; };
  Instance.prototype.setCode = function (code) {
    this.code = String(code);
    this.send({ type: "set-code", code: this.code });
  };
  Instance.prototype.reset = function () {
    // The program as the frame first reported it (hidden lines without their `# `).
    if (this.program !== null) this.code = this.program;
    this.send({ type: "reset" });
  };

  /** A message from this instance's frame, already checked for its source and origin. */
  Instance.prototype.receive = function (message) {
    var type = message.type;
    if (type === "height") {
      var height = Number(message.height);
      if (isFinite(height) && height > 0) {
        this.frame.style.height = Math.min(Math.ceil(height), 20000) + "px";
      }
      if (this.ready) return;
      this.ready = true;
      this.frame.style.visibility = "visible";
      this.element.style.display = "none";
      var pending = this.pending;
      this.pending = [];
      for (var i = 0; i < pending.length; i++) this.send(pending[i]);
      return;
    }
    if (!EVENTS[type]) return;
    var detail = {};
    if (type === "code-changed" || type === "ready") {
      if (typeof message.code !== "string") return;
      if (type === "ready" && this.program === null) this.program = message.code;
      this.code = message.code;
      detail.code = message.code;
    } else if (type === "output") {
      detail.stream = String(message.stream);
      detail.data = String(message.data);
    } else if (type === "finished") {
      detail.outcome = String(message.outcome);
      detail.explanation = String(message.explanation || "");
      detail.tests = Array.isArray(message.tests) ? message.tests : [];
    } else if (type === "test-passed" || type === "test-failed") {
      detail.name = String(message.name);
      detail.message = String(message.message || "");
    }
    this.element.dispatchEvent(new CustomEvent(KEY + ":" + type, { bubbles: true, detail: detail }));
  };

  window.addEventListener("message", function (event) {
    if (event.origin !== PLAYGROUND) return;
    var instance = byWindow.get(event.source);
    var message = event.data;
    if (!instance || !message || typeof message !== "object" || message.rmp !== KEY) return;
    instance.receive(message);
  });

  var observer = "IntersectionObserver" in window
    ? new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) {
          if (!entry.isIntersecting) return;
          observer.unobserve(entry.target);
          entry.target.rustPlayground.load();
        });
      }, { rootMargin: "300px 0px" })
    : null;

  function upgradeOne(el) {
    var code = el.localName === "code" ? el : null;
    var host = code ? el.parentElement : el;
    if (!host || host.rustPlayground) return;
    var els = [host, code];
    if (option(els, "playground") === "off") return;
    var options = {};
    OPTIONS.forEach(function (name) {
      var value = option(els, name);
      if (value) options[name] = value;
    });
    var text = (code || host).textContent.replace(/^\n/, "");
    var instance = new Instance(host, text, options);
    host.rustPlayground = instance;
    instances.push(instance);
    if (observer) observer.observe(host);
    else instance.load();
  }

  function upgrade(root) {
    var found = (root || document).querySelectorAll("pre > code.language-rust, rust-playground");
    for (var i = 0; i < found.length; i++) upgradeOne(found[i]);
  }

  window.RustPlayground = { instances: instances, upgrade: upgrade, origin: PLAYGROUND };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { upgrade(); });
  else upgrade();
})();
