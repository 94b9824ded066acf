// Upstream Atlas, /map: "What if another service opened?". The planner imagines services of the
// category shown, by a town, ZIP or "lat,lon" typed, a point picked on the map or a suggested town;
// every change asks POST /api/deserts/what-if for the page's region (nothing is saved) and the
// answer is shown as people newly within reach, overall and per county. Names from the answers are
// set as text only.
(function () {
  "use strict";

  var MAX_SITES = 10;  // a summit compares a few sites; the API takes up to 50 changes
  var COUNTY_ROWS = 8;
  function people(v) { return Math.round(v).toLocaleString("en-US"); }
  // A JSON answer with whether it was a success (an error's body says why, in `detail`).
  function getJSON(url, options) {
    return fetch(url, Object.assign({ credentials: "same-origin" }, options)).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) { return { ok: r.ok, data: data }; });
    });
  }
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }

  function setUp(box, map) {
    var form = box.querySelector("form.whatif-add");
    var input = form.querySelector("input[name=near]");
    var pick = box.querySelector(".whatif-pick");
    var list = box.querySelector(".whatif-sites");
    var answer = box.querySelector(".whatif-answer");
    var said = box.querySelector(".whatif-problem");
    var clear = box.querySelector(".whatif-clear");
    var name = box.getAttribute("data-category-name");
    // The imagined services as last asked (`wanted`, listed at once) and as last answered (`sites`,
    // each {lon, lat, place} where the API placed it). Only the newest question's answer counts: a
    // slow one arriving after a newer question is dropped, and a refused one restores `sites`.
    var sites = [], wanted = [], answered = null;  // answered: the API's answer about `sites`
    var markers = L.layerGroup().addTo(map);
    // The cells the imagined services bring within reach, shaded over the deserts (not clickable).
    var reached = L.geoJSON(null, { interactive: false, style: function () {
      return { color: "#5b21b6", weight: 1, fillColor: "#8b5cf6", fillOpacity: 0.45 };
    } }).addTo(map);
    var asked = 0;
    var panel = box.closest("details.atlas-filters");
    var offered = [];  // the suggested towns' Add buttons

    function request(changes) {
      var body = { region: box.getAttribute("data-region"), category: box.getAttribute("data-category"),
                   changes: changes, cells: true };
      if (box.getAttribute("data-stage")) body.stage = box.getAttribute("data-stage");
      return getJSON("/api/deserts/what-if", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
      });
    }

    // What went wrong, said above the last answer, which stays.
    function problem(text) { said.textContent = text; said.hidden = !text; }

    // Ask about `next` (the services as they would be); on an answer they become the sites.
    function ask(next, typed) {
      var mine = ++asked;
      wanted = next;
      problem("");
      if (!next.length) { sites = []; answered = null; box.removeAttribute("aria-busy"); render(null); return; }
      box.setAttribute("aria-busy", "true");
      render(null);
      answer.textContent = "Counting…";
      var changes = next.map(function (s) {
        return s.near ? { action: "add", near: s.near } : { action: "add", lon: s.lon, lat: s.lat };
      });
      request(changes).then(function (res) {
        if (mine !== asked) return;
        box.removeAttribute("aria-busy");
        if (!res.ok) {
          var detail = typeof res.data.detail === "string" ? res.data.detail : "The question could not be answered.";
          var placeless = /^changes\[(\d+)\]\.near: /.exec(detail);  // the API's words name its field
          problem(placeless ? "Could not find “" + next[Number(placeless[1])].near + "” on the map. Try a town " +
                              "and state (Columbia, MO), a 5-digit ZIP or lat,lon." : detail);
          if (typed) { input.setAttribute("aria-invalid", "true"); input.focus(); }
          wanted = sites;
          render(answered);
          return;
        }
        input.removeAttribute("aria-invalid");
        if (typed) input.value = "";
        sites = wanted = res.data.changes.map(function (c, k) {
          return { lon: c.lon, lat: c.lat, place: c.place || next[k].place || null };
        });
        answered = res.data;
        render(answered);
        if (typed) showOnMap(sites[sites.length - 1]);
      }).catch(function () {
        if (mine !== asked) return;
        box.removeAttribute("aria-busy");
        wanted = sites;
        render(answered);
        problem("The server could not be reached. Try again.");
      });
    }

    // Bring a typed place into view, below the panel when the panel leaves room for it.
    function showOnMap(s) {
      var frame = map.getContainer().getBoundingClientRect();
      var top = panel && panel.open ? panel.getBoundingClientRect().bottom - frame.top + 10 : 10;
      if (top > frame.height * 0.7) top = 10;
      map.panInside([s.lat, s.lon], { paddingTopLeft: [10, Math.max(10, top)], paddingBottomRight: [10, 10] });
    }

    // A suggested town already imagined cannot be added twice.
    function markOffered() {
      offered.forEach(function (o) {
        var added = wanted.some(function (w) { return w.lon === o.site.lon && w.lat === o.site.lat; });
        o.button.disabled = added;
        o.button.textContent = added ? "Added" : "Add";
      });
    }

    function label(s) {
      if (s.near) return s.near;  // typed, not yet placed
      return s.place ? s.place + " (its centre)" : s.lat.toFixed(4) + ", " + s.lon.toFixed(4);
    }

    function render(data) {
      list.textContent = "";
      markers.clearLayers();
      reached.clearLayers();
      wanted.forEach(function (s, k) {
        var li = el("li", label(s) + " ");
        var remove = el("button", "Remove");
        remove.type = "button";
        remove.setAttribute("aria-label", "Remove imagined service " + (k + 1) + ", " + label(s));
        remove.addEventListener("click", function () {
          ask(wanted.filter(function (_, j) { return j !== k; }), false);
          input.focus();
        });
        li.appendChild(remove);
        list.appendChild(li);
        if (s.near) return;
        var icon = L.divIcon({ className: "whatif-marker", html: String(k + 1), iconSize: [24, 24] });
        markers.addLayer(L.marker([s.lat, s.lon], { icon: icon, keyboard: false, title: "Imagined service " + (k + 1) }));
      });
      clear.hidden = wanted.length === 0;
      markOffered();
      answer.textContent = "";
      if (!data) return;
      var t = data.total, beyond = t.population - t.within_reach_before;
      var n = sites.length === 1 ? "this imagined " + name + " service" : "these " + sites.length + " imagined " + name + " services";
      var p = el("p");
      p.appendChild(el("strong", people(t.newly_within_reach) + " more people"));
      p.appendChild(document.createTextNode(" would be within reach with " + n + ", of " + people(beyond) +
        " beyond reach now (" + people(t.population) + " people live here)."));
      answer.appendChild(p);
      var gainedCells = (data.changed_cells ? data.changed_cells.features : []).filter(function (f) {
        return f.properties.change === "gained";
      });
      if (gainedCells.length) {
        reached.addData({ type: "FeatureCollection", features: gainedCells });
        answer.appendChild(el("p", "The cells they bring within reach are shaded purple on the map.", "hint"));
      }
      // Per county, folded: open, the table would cover most of the map it is about.
      var gained = data.counties.filter(function (c) { return c.newly_within_reach >= 0.5; });
      if (gained.length) {
        var more = el("details", undefined, "whatif-per-county");
        more.appendChild(el("summary", "Per county: " + gained.length + (gained.length === 1 ? " county gains" : " counties gain")));
        var table = el("table", undefined, "whatif-counties");
        var head = el("tr");
        ["County", "More within reach", "Still beyond reach"].forEach(function (h) {
          var th = el("th", h); th.scope = "col"; head.appendChild(th);
        });
        table.appendChild(el("thead")).appendChild(head);
        var body = table.appendChild(el("tbody"));
        gained.slice(0, COUNTY_ROWS).forEach(function (c) {
          var tr = el("tr");
          var th = el("th", c.name); th.scope = "row"; tr.appendChild(th);
          tr.appendChild(el("td", people(c.newly_within_reach)));
          tr.appendChild(el("td", people(c.population - c.within_reach_after)));
          body.appendChild(tr);
        });
        more.appendChild(table);
        if (gained.length > COUNTY_ROWS) more.appendChild(el("p", "and " + (gained.length - COUNTY_ROWS) + " more.", "hint"));
        answer.appendChild(more);
      }
      var when = new Date(data.run.finished_at).toLocaleDateString("en-US", { year: "numeric", month: "short", day: "numeric" });
      answer.appendChild(el("p", "From the desert results of " + when +
        (data.run.stale ? ", computed before the directory's latest changes." : "."), "hint"));
    }

    function add(site, typed) {
      if (wanted.length >= MAX_SITES) { problem("At most " + MAX_SITES + " imagined services: remove one first."); return; }
      ask(wanted.concat([site]), typed);
    }

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var text = input.value.trim();
      if (!text) { problem("Type a town, a ZIP or lat,lon, or pick a point on the map."); input.focus(); return; }
      add({ near: text }, true);
    });

    // Picking: the next click on the map places a service (Escape or the button again stops). On
    // a phone the filter panel covers most of the map: it folds while picking and opens again on
    // the answer.
    var folded = false;
    function picking(on) {
      pick.setAttribute("aria-pressed", on ? "true" : "false");
      map.getContainer().classList.toggle("whatif-picking", on);
      var phone = window.matchMedia && window.matchMedia("(max-width: 640px)").matches;
      if (on && phone && panel && panel.open) { panel.open = false; folded = true; }
      if (!on && folded) { panel.open = true; folded = false; }
    }
    pick.addEventListener("click", function () { picking(pick.getAttribute("aria-pressed") !== "true"); });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && pick.getAttribute("aria-pressed") === "true") { picking(false); pick.focus(); }
    });
    // Caught before Leaflet sees it, so the tap is the pick alone: a service marker or a cluster
    // under it (their clicks never reach the map) neither opens nor zooms, a cell opens no popup.
    // The end of a drag and a tap on the map's own controls are not picks.
    map.getContainer().addEventListener("click", function (e) {
      if (pick.getAttribute("aria-pressed") !== "true") return;
      if (e.target.closest(".leaflet-control-container") || (map.dragging && map.dragging.moved())) return;
      e.stopPropagation();
      picking(false);
      var at = map.mouseEventToLatLng(e);
      add({ lon: at.lng, lat: at.lat }, false);
    }, true);
    clear.addEventListener("click", function () { ask([], false); input.focus(); });

    // Where should the next k go: the towns bringing the most people now beyond reach within reach
    // (GET /api/deserts/where-to, from the desert results alone, not the imagined services); each
    // can be added to the imagined services.
    var suggest = box.querySelector("form.whereto-ask");
    var suggested = box.querySelector(".whereto-answer");
    suggest.addEventListener("submit", function (e) {
      e.preventDefault();
      var q = new URLSearchParams({ region: box.getAttribute("data-region"), category: box.getAttribute("data-category"),
                                    k: suggest.querySelector("select").value, candidates: "towns" });
      if (box.getAttribute("data-stage")) q.set("stage", box.getAttribute("data-stage"));
      suggested.textContent = "Finding the best sites…";
      getJSON("/api/deserts/where-to?" + q.toString()).then(function (res) {
        suggested.textContent = "";
        if (!res.ok) {
          suggested.appendChild(el("p", typeof res.data.detail === "string" ? res.data.detail : "No suggestion could be made.", "whatif-problem"));
          return;
        }
        if (!res.data.sites.length) {
          suggested.appendChild(el("p", "No one is beyond reach of a " + name + " service here: nothing to suggest."));
          return;
        }
        var k = res.data.sites.length;
        suggested.appendChild(el("p", (k === 1 ? "The town where one more " + name + " service" :
          "The " + k + " towns where " + k + " more " + name + " services") +
          " would bring the most people within reach, from the desert results alone:"));
        var ol = el("ol", undefined, "whereto-sites");
        offered = [];
        res.data.sites.forEach(function (s) {
          var li = el("li", s.name + ": " + people(s.newly_within_reach) + " more people ");
          var use = el("button", "Add");
          use.type = "button";
          use.setAttribute("aria-label", "Add " + s.name + " as an imagined service");
          use.addEventListener("click", function () { add({ lon: s.lon, lat: s.lat, place: s.name }, false); });
          offered.push({ site: s, button: use });
          li.appendChild(use);
          ol.appendChild(li);
        });
        suggested.appendChild(ol);
        markOffered();
      }).catch(function () {
        suggested.textContent = "";
        suggested.appendChild(el("p", "The server could not be reached. Try again.", "whatif-problem"));
      });
    });
  }

  document.addEventListener("atlas-map", function (e) {
    var box = document.querySelector("details.atlas-whatif");
    if (box) setUp(box, e.detail);
  });
})();
