// meshkg browser: type-ahead, lazy concept-tree branches and in-tree filtering.
// Everything here is an enhancement; pages work without it. Labels are only
// ever set with textContent, never as HTML.
(function () {
  "use strict";

  function suggest(input) {
    var box = input.parentNode;
    var list = document.createElement("ul");
    list.className = "suggest-list";
    list.id = input.id + "-suggestions";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    box.appendChild(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");
    var timer = null, active = -1, items = [], seq = 0;

    function close() {
      list.hidden = true; active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    function mark() {
      Array.prototype.forEach.call(list.children, function (li, i) {
        li.setAttribute("aria-selected", i === active ? "true" : "false");
        if (i === active) { input.setAttribute("aria-activedescendant", li.id); }
      });
    }
    function show(data) {
      list.textContent = "";
      items = data;
      data.forEach(function (s, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.textContent = s.label + " ";
        var kind = document.createElement("small");
        kind.textContent = s.kind + (s.matched !== s.label ? " · " + s.matched : "");
        li.appendChild(kind);
        li.addEventListener("mousedown", function (e) { e.preventDefault(); go(i); });
        list.appendChild(li);
      });
      list.hidden = data.length === 0;
      input.setAttribute("aria-expanded", data.length ? "true" : "false");
    }
    function go(i) { if (items[i]) { window.location.assign(items[i].url); } }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2) { close(); return; }
      timer = setTimeout(function () {
        var mine = ++seq;
        fetch(input.dataset.suggest + "?q=" + encodeURIComponent(q), {headers: {Accept: "application/json"}})
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (data) { if (mine === seq) { active = -1; show(data); } })
          .catch(close);
      }, 150);
    });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) { return; }
      if (e.key === "ArrowDown") { active = Math.min(active + 1, items.length - 1); mark(); e.preventDefault(); }
      else if (e.key === "ArrowUp") { active = Math.max(active - 1, -1); mark(); e.preventDefault(); }
      else if (e.key === "Enter" && active >= 0) { go(active); e.preventDefault(); }
      else if (e.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }

  function lazyTree(root) {
    root.addEventListener("toggle", function (e) {
      var d = e.target;
      if (!d.open || !d.dataset.children || d.dataset.loaded) { return; }
      d.dataset.loaded = "1";
      fetch(d.dataset.children).then(function (r) { return r.ok ? r.text() : ""; }).then(function (html) {
        if (!html) { return; }
        // The fragment is our own server's autoescaped template output.
        var doc = new DOMParser().parseFromString(html, "text/html");
        var lazy = d.querySelector(".lazy");
        var tree = doc.body.firstElementChild;
        if (lazy && tree) { lazy.replaceWith(document.importNode(tree, true)); }
      });
    }, true);
  }

  function filterTree(input) {
    var root = document.querySelector(input.dataset.filterTree);
    if (!root) { return; }
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase();
      root.querySelectorAll("li").forEach(function (li) {
        var text = li.textContent.toLowerCase();
        li.classList.toggle("filtered-out", q.length > 0 && text.indexOf(q) < 0);
        var d = li.querySelector(":scope > details");
        if (d && q.length > 0 && text.indexOf(q) >= 0) { d.open = true; }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-suggest]").forEach(suggest);
    document.querySelectorAll("input[data-filter-tree]").forEach(filterTree);
    var tree = document.getElementById("tree");
    if (tree) { lazyTree(tree); }
  });
})();
