// Upstream Atlas /find. Without this script the page is plain HTML forms (POST to search, GET for a
// shared list). With it:
// - searches and "Next page" are posted with fetch and the results swapped into this page, so the
//   place typed never enters the address bar or history (history entries hold only
//   {find: search number, page: n}); Back/Forward show earlier results from memory, with no
//   "Confirm Form Resubmission";
// - after a search the results heading (or the error at the top of the form) gets focus and is
//   scrolled to the top of the screen, not the centre;
// - results are drawn on a Leaflet map placed after the list (markers come after it in Tab order);
// - services ticked on any page are kept for "Show my list" (ids only).
// Names reach the page only as text nodes; fetched HTML is parsed inertly by DOMParser.
(function () {
  "use strict";
  var form = document.getElementById("search-form");
  var main = document.getElementById("main");
  var picks = {};           // service-at-location id -> true, across pages of this search
  var views = {};           // "search:page" -> {problem, results} HTML kept in memory only
  var search = 0, current = null, map = null;

  function ready(value) { document.body.setAttribute("data-find-ready", value); }

  function drawMap() {
    if (map) { map.remove(); map = null; }
    var data = document.getElementById("map-points");
    var box = document.getElementById("map");
    if (!data || !box || !window.L) { return "no-map"; }
    var points = JSON.parse(data.textContent || "[]");
    map = L.map(box, { scrollWheelZoom: false, zoomControl: true });
    // Basemap tiles load from the viewer's browser when reachable; markers draw without them.
    L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 18, attribution: "© OpenStreetMap contributors"
    }).addTo(map);
    var markers = [];
    points.forEach(function (p) {
      var m = L.circleMarker([p.lat, p.lon], {
        radius: 9, color: "#ffffff", weight: 2, fillColor: "#1d4ed8", fillOpacity: 0.95
      });
      var label = document.createElement("span");
      label.textContent = p.n + ". " + p.name;
      m.bindTooltip(label, { direction: "top" });
      m.bindPopup(function () {
        var node = document.createElement("strong");
        node.textContent = p.n + ". " + p.name;
        return node;
      });
      m.addTo(map);
      markers.push(m);
    });
    if (markers.length) {
      map.fitBounds(L.featureGroup(markers).getBounds().pad(0.2), { maxZoom: 14 });
    } else {
      map.setView([38.5, -92.5], 6);
    }
    return String(markers.length);
  }

  // Focus without the browser's own scroll (which centres the element), then put it at the top.
  function bringToTop(el) {
    if (!el) { return; }
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: "start" });
  }

  function wireResults() {
    var print = document.getElementById("print-button");
    if (print) { print.addEventListener("click", function () { window.print(); }); }
    var boxes = document.querySelectorAll(".pick input[type=checkbox]");
    Array.prototype.forEach.call(boxes, function (box) {
      box.checked = !!picks[box.value];
      box.addEventListener("change", function () {
        if (box.checked) { picks[box.value] = true; } else { delete picks[box.value]; }
        countPicks();
      });
    });
    var listForm = document.getElementById("list-form");
    if (listForm) {
      listForm.addEventListener("submit", function () {
        // Ticks from other pages of this search go along; only ids, never the place searched.
        Object.keys(picks).forEach(function (id) {
          if (!listForm.querySelector("input[type=hidden][value='" + CSS.escape(id) + "']") &&
              !document.querySelector(".pick input[value='" + CSS.escape(id) + "']:checked")) {
            var hidden = document.createElement("input");
            hidden.type = "hidden"; hidden.name = "id"; hidden.value = id;
            listForm.appendChild(hidden);
          }
        });
      });
    }
    countPicks();
    var skip = document.getElementById("skip-link");
    var heading = document.getElementById("results-heading");
    if (skip) {
      skip.setAttribute("href", heading ? "#results-heading" : "#near");
      skip.textContent = skip.getAttribute(heading ? "data-results" : "data-form");
    }
  }

  function countPicks() {
    var count = document.getElementById("list-count");
    if (count) { count.textContent = String(Object.keys(picks).length); }
  }

  function show(view) {
    var old = document.getElementById("form-problem");
    if (old) { old.remove(); }
    var oldResults = document.getElementById("results");
    if (oldResults) { oldResults.remove(); }
    var near = document.getElementById("near");
    near.removeAttribute("aria-invalid");
    near.setAttribute("aria-describedby", "near-help");
    if (view.problem) {
      form.insertAdjacentHTML("afterbegin", view.problem);  // a new role=alert: announced
      near.setAttribute("aria-invalid", "true");
      near.setAttribute("aria-describedby", "near-help form-problem");
    }
    if (view.results) { main.insertAdjacentHTML("beforeend", view.results); }
    if (view.title) { document.title = view.title; }
    wireResults();
    var drawn = drawMap();
    bringToTop(document.getElementById("form-problem") || document.getElementById("results-heading"));
    ready(view.problem ? "error" : drawn);
  }

  function post(submitter, page) {
    var body = new URLSearchParams(new FormData(form, submitter || undefined));
    if (page) { body.set("page", String(page)); }
    document.body.removeAttribute("data-find-ready");
    return fetch(form.getAttribute("action"), {
      method: "POST", body: body, credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/x-www-form-urlencoded" }
    }).then(function (response) { return response.text(); }).then(function (text) {
      var doc = new DOMParser().parseFromString(text, "text/html");
      var problem = doc.getElementById("form-problem");
      var results = doc.getElementById("results");
      return { problem: problem ? problem.outerHTML : "", results: results ? results.outerHTML : "",
               title: doc.title };
    });
  }

  if (form && window.fetch && window.history && window.history.pushState) {
    history.replaceState({ find: 0, page: 0 }, "");
    views["0:0"] = { problem: "", results: "", title: document.title };
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var submitter = event.submitter || null;
      var paging = submitter && submitter.name === "page";
      if (!paging) { search += 1; picks = {}; }
      var page = paging ? Number(submitter.value) : 1;
      if (submitter && submitter.name === "choice") { document.getElementById("near").value = submitter.value; }
      post(submitter, page).then(function (view) {
        var key = search + ":" + page;
        views[key] = view;
        current = { find: search, page: page };
        history.pushState(current, "");
        show(view);
      }).catch(function () { form.submit(); });  // the network failed: an ordinary POST
    });
    window.addEventListener("popstate", function (event) {
      var state = event.state;
      if (!state || state.find === undefined) { return; }
      var view = views[state.find + ":" + state.page];
      if (view) { current = state; show(view); }
    });
  }

  // A page that arrived as an ordinary POST (no script at submit time) or a GET.
  wireResults();
  if (document.getElementById("results-heading") || document.getElementById("form-problem")) {
    var drawn = drawMap();
    bringToTop(document.getElementById("form-problem") || document.getElementById("results-heading"));
    ready(document.getElementById("form-problem") ? "error" : drawn);
  }
})();
