// The example page's own script (/embed/example): logs the snippets' events on the page and
// wires the buttons that call the first snippet's instance API. Events are written as text.
(function () {
  "use strict";
  // A theme switch, as a blog would have one: the page's colours and each snippet's option.
  var theme = new URLSearchParams(location.search).get("theme");
  if (theme === "light" || theme === "dark") {
    document.documentElement.classList.add(theme);
    document.querySelectorAll("pre > code.language-rust, rust-playground").forEach(function (el) {
      var host = el.localName === "code" ? el.parentElement : el;
      if (!host.hasAttribute("theme")) host.setAttribute("data-theme", theme);
    });
  }
  var log = document.getElementById("log");
  var names = ["ready", "run-started", "output", "finished", "test-passed", "test-failed", "code-changed"];
  function line(text) {
    log.append(text + "\n");
    log.scrollTop = log.scrollHeight;
  }
  names.forEach(function (name) {
    document.addEventListener("rust-playground:" + name, function (event) {
      var index = window.RustPlayground.instances.indexOf(event.target.rustPlayground) + 1;
      var d = event.detail;
      var what = name === "output" ? d.stream + ": " + JSON.stringify(d.data)
        : name === "finished" ? d.outcome + (d.tests.length ? " (" + d.tests.length + " tests)" : "")
        : name === "test-passed" || name === "test-failed" ? d.name
        : name === "code-changed" || name === "ready" ? d.code.length + " characters"
        : "";
      line("#" + index + " " + name + (what ? " · " + what : ""));
    });
  });
  function first() { return window.RustPlayground.instances[0]; }
  document.getElementById("api-run").addEventListener("click", function () { first().run(); });
  document.getElementById("api-set").addEventListener("click", function () {
    first().setCode('fn main() {\n    println!("Hello from setCode");\n}\n');
  });
  document.getElementById("api-reset").addEventListener("click", function () { first().reset(); });
  document.getElementById("api-get").addEventListener("click", function () {
    line("getCode() · " + JSON.stringify(first().getCode()));
  });
})();
