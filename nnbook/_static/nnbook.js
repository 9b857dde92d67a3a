/* The book's page behaviour, added to every page by nnbook.offline.
 *
 * 1. Sidebar buttons. The header has two copies of each sidebar button (the
 *    theme's, hidden, and the book theme's, visible); both themes bind their click
 *    handlers to the first copy in the page, so the visible one did nothing. A
 *    click on any copy is passed on to the first one.
 * 2. Wide display equations: the ones that overflow their box become focusable
 *    scroll regions (nnbook.css draws the scroll shadows).
 * 3. "Live code" offline: Thebe waits for Binder forever when it cannot reach it;
 *    after asking the server and getting no answer, the page says so and offers
 *    the static sliders, the notebook download and the Binder link.
 * 4. Search results: snippets show math as text, not as raw TeX source.
 */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  /* 1. Sidebar buttons ---------------------------------------------------- */
  ["primary-toggle", "secondary-toggle"].forEach(function (name) {
    document.addEventListener(
      "click",
      function (event) {
        var button = event.target.closest && event.target.closest("." + name);
        var bound = document.querySelector("." + name);
        if (!button || !bound || button === bound) return;
        event.preventDefault();
        event.stopImmediatePropagation();
        bound.click();
      },
      true
    );
  });

  /* 2. Wide display equations --------------------------------------------- */
  function markWideEquations() {
    var boxes = document.querySelectorAll(
      '.bd-article mjx-container[jax="CHTML"][display="true"]'
    );
    boxes.forEach(function (box) {
      var wide = box.scrollWidth > box.clientWidth + 1;
      box.classList.toggle("nnbook-scroll-x", wide);
      if (wide) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("title", "This equation is wider than the page: scroll it sideways");
      } else if (box.getAttribute("tabindex") === "0") {
        box.removeAttribute("tabindex");
        box.removeAttribute("title");
      }
    });
  }
  window.nnbookMarkWideEquations = markWideEquations;
  ready(function () {
    var mj = window.MathJax;
    if (mj && mj.startup && mj.startup.promise) {
      mj.startup.promise.then(markWideEquations);
    } else {
      window.addEventListener("load", function () {
        var later = window.MathJax;
        if (later && later.startup && later.startup.promise) {
          later.startup.promise.then(markWideEquations);
        }
      });
    }
    var timer = null;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(markWideEquations, 150);
    });
  });

  /* 3. "Live code" offline ------------------------------------------------ */
  var PROBE_MS = 8000;

  function thebeServer() {
    // The page's Thebe settings: sphinx-thebe's, then nnbook.offline's (JSON).
    var config = {};
    document
      .querySelectorAll('script[type="text/x-thebe-config"]')
      .forEach(function (script) {
        try {
          Object.assign(config, JSON.parse(script.textContent));
        } catch (error) {
          /* sphinx-thebe's own block is a JavaScript object, not JSON */
        }
      });
    if (config.useBinder === false && config.serverSettings) {
      return config.serverSettings.baseUrl;
    }
    return (config.binderOptions && config.binderOptions.binderUrl) || "https://mybinder.org";
  }

  function link(selector, text) {
    var a = document.querySelector(selector);
    return a ? '<a href="' + a.getAttribute("href") + '">' + text + "</a>" : "";
  }

  function showUnreachable(server) {
    if (document.querySelector(".nnbook-thebe-message")) return;
    var button = document.querySelector(".thebe-launch-button");
    if (button && button.classList.contains("thebe-status-ready")) return;
    var host = server.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
    var notebook = link("a.nnbook-download-chapter", "download this chapter's notebook");
    var binder = link(
      '.dropdown-launch-buttons a[href*="/v2/"], a[href*="mybinder.org/v2/"]',
      "open it on Binder"
    );
    var box = document.createElement("div");
    box.className = "nnbook-thebe-message admonition warning";
    box.setAttribute("role", "alert");
    box.innerHTML =
      '<p class="admonition-title">Live code could not start</p>' +
      "<p>" + host + " did not answer: this page seems to be offline (or the server " +
      "is down). The sliders on this page already work without it. To run the code, " +
      (notebook ? notebook + " and open it in your own Jupyter" : "open the notebook in your own Jupyter") +
      (binder ? ", or " + binder + " when you are online" : "") +
      ".</p>";
    if (button) {
      // Thebe keeps rewriting its own status text ("launching"): nnbook.css hides
      // it and the spinner, and this line says what happened instead.
      // sphinx-thebe also rebuilds the button's content once Thebe has loaded:
      // put the line back whenever that happens.
      button.classList.add("nnbook-thebe-failed");
      var say = function () {
        if (button.querySelector(".nnbook-thebe-status")) return;
        var status = document.createElement("span");
        status.className = "nnbook-thebe-status";
        status.textContent = "Live code is not available offline";
        button.appendChild(status);
      };
      say();
      new MutationObserver(say).observe(button, { childList: true });
      button.insertAdjacentElement("afterend", box);
    } else {
      var heading = document.querySelector(".bd-article h1");
      (heading || document.body).insertAdjacentElement("afterend", box);
    }
  }

  function watchLaunch() {
    var server = thebeServer();
    if (navigator.onLine === false) {
      showUnreachable(server);
      return;
    }
    var controller = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () {
      if (controller) controller.abort();
      showUnreachable(server);
    }, PROBE_MS);
    fetch(server, {
      mode: "no-cors",
      cache: "no-store",
      signal: controller ? controller.signal : undefined,
    })
      .then(function () {
        clearTimeout(timer); // reachable: Thebe reports its own progress
      })
      .catch(function () {
        clearTimeout(timer);
        showUnreachable(server);
      });
  }

  ready(function () {
    var original = window.initThebeSBT;
    if (typeof original !== "function" || original.nnbookWrapped) return;
    var wrapped = function () {
      var result = original.apply(this, arguments);
      watchLaunch();
      return result;
    };
    wrapped.nnbookWrapped = true;
    window.initThebeSBT = wrapped;
  });

  /* 4. Search snippets ---------------------------------------------------- */
  var SYMBOLS = {
    alpha: "α", beta: "β", gamma: "γ", delta: "δ", epsilon: "ε", varepsilon: "ε",
    eta: "η", theta: "θ", lambda: "λ", mu: "μ", pi: "π", sigma: "σ", tau: "τ",
    phi: "φ", varphi: "φ", Delta: "Δ", Sigma: "Σ", partial: "∂", nabla: "∇",
    sum: "Σ", prod: "Π", int: "∫", infty: "∞", cdot: "·", times: "×", le: "≤",
    leq: "≤", ge: "≥", geq: "≥", ne: "≠", neq: "≠", approx: "≈", in: "∈",
    to: "→", rightarrow: "→", mapsto: "↦", top: "⊤", ldots: "…", dots: "…",
    cdots: "⋯", max: "max", min: "min", log: "log", exp: "exp", tanh: "tanh",
  };

  /** TeX source as plain text: "\mathbf{x}\mathbf{w} + b" becomes "xw + b". */
  function texToText(tex) {
    return tex
      .replace(/^\s*(\\\(|\\\[|\$\$?)|(\\\)|\\\]|\$\$?)\s*$/g, "")
      .replace(/\\begin\{[^}]*\}|\\end\{[^}]*\}/g, " ")
      .replace(/\\frac\{([^{}]*)\}\{([^{}]*)\}/g, "($1)/($2)")
      .replace(/\\(?:mathbf|mathrm|operatorname|text|mathit|boldsymbol|mathcal|hat|bar|tilde)\b/g, "")
      .replace(/\\(?:left|right|big|Big|bigg|Bigg|displaystyle|,|;|!|quad|qquad)/g, " ")
      .replace(/\\([A-Za-z]+)/g, function (match, name) {
        return Object.prototype.hasOwnProperty.call(SYMBOLS, name) ? SYMBOLS[name] : name;
      })
      .replace(/&|\\\\/g, " ")
      .replace(/[{}]/g, "")
      .replace(/\s+/g, " ")
      .trim();
  }
  window.nnbookTexToText = texToText;

  ready(function () {
    // searchtools.js declares `const Search`: a global binding, not on window.
    var search = typeof Search !== "undefined" ? Search : window.Search; // eslint-disable-line no-undef
    if (!search || typeof search.htmlToText !== "function" || search.nnbookWrapped) return;
    var original = search.htmlToText;
    search.htmlToText = function (htmlString, anchor) {
      var doc = new DOMParser().parseFromString(htmlString, "text/html");
      doc.querySelectorAll(".math").forEach(function (el) {
        el.textContent = texToText(el.textContent);
      });
      return original.call(this, doc.documentElement.outerHTML, anchor);
    };
    search.nnbookWrapped = true;
  });
})();
