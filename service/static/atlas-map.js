// Upstream Atlas: fill folium feature groups with layer data fetched from the JSON API.
// Popups are DOM nodes filled with textContent, so names and descriptions are always text.
(function () {
  "use strict";

  // Numbers as people read them: whole people, shares in %, distances in miles and km.
  var MILE = 1609.344;
  function round1(v) { return Math.round(v * 10) / 10; }
  function num(v, digits) { return v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }); }
  var FORMATS = {
    people: function (v) { return num(Math.round(v), 0); },
    percent: function (v) { return Math.round(v * 100) + "%"; },
    miles: function (v) { return num(v / MILE, 1) + " mi (" + num(v / 1000, 1) + " km)"; },
    per10k: function (v) { return num(v * 10000, 1) + " per 10,000 people"; },
    yesno: function (v) { return v ? "yes" : "no"; },
    place: function (v) { return v ? "town or city" : "rural"; }
  };
  function shownText(value, format) {
    if (Array.isArray(value)) return value.join(", ");
    return (format && FORMATS[format] && typeof value !== "string") ? FORMATS[format](value) : String(value);
  }
  // The number a reader sees for a cell drawn from a tile; it decides the cell's class, as
  // layers/deserts.py decides it for GeoJSON features (`Scale.rule`).
  var RULES = {
    people: function (p) { return p.population === undefined ? null : (p.covered ? 0 : Math.round(p.population)); },
    miles: function (p) { return p.distance_m === undefined ? null : round1(p.distance_m / MILE); },
    per10k: function (p) { return p.access_2sfca === undefined ? null : round1(p.access_2sfca * 10000); }
  };
  function bandOf(shown, classes) {
    if (shown === null || shown === undefined) return null;
    for (var i = 0; i < classes.length; i++) if (classes[i].upper === null || shown <= classes[i].upper) return i;
    return null;
  }

  function popupNode(props, fields, action) {
    var box = document.createElement("div");
    box.className = "atlas-popup";
    if (props.is_sample) {
      var badge = document.createElement("p");
      badge.className = "sample-badge";
      badge.textContent = "SAMPLE DATA — not a real service";
      box.appendChild(badge);
    }
    var dl = document.createElement("dl");
    fields.forEach(function (f) {
      var value = props[f[0]];
      if (value === null || value === undefined || value === "") return;
      var dt = document.createElement("dt");
      dt.textContent = f[1];
      var dd = document.createElement("dd");
      dd.textContent = shownText(value, f[2]);
      dl.appendChild(dt);
      dl.appendChild(dd);
    });
    box.appendChild(dl);
    if (action && props.id) {  // e.g. "Report a problem" on a service: a new tab, so an embed stays put
      var p = document.createElement("p");
      var a = document.createElement("a");
      a.href = action[1].replace("{id}", encodeURIComponent(props.id));
      a.target = "_blank";
      a.rel = "noopener";
      a.textContent = action[0];
      p.appendChild(a);
      box.appendChild(p);
    }
    return box;
  }

  function pointLayer(data, spec) {
    var target = (spec.cluster && L.markerClusterGroup) ? L.markerClusterGroup({ chunkedLoading: true, chunkInterval: 400, chunkDelay: 1, disableClusteringAtZoom: 16 }) : L.featureGroup();
    var markers = [];
    data.features.forEach(function (f) {
      var c = f.geometry.coordinates;
      var marker = L.circleMarker([c[1], c[0]], {
        radius: spec.style.radius || 6, color: "#fff", weight: 1.5,
        fillColor: spec.style.color || "#b45309", fillOpacity: 0.9
      });
      marker.feature = f;
      markers.push(marker);
    });
    // Popups are made on first click, not for all 10,000 markers up front.
    target.on("click", function (e) {
      var m = e.layer;
      if (!m || !m.feature) return;
      L.DomEvent.stopPropagation(e);
      if (!m.getPopup()) m.bindPopup(function () { return popupNode(m.feature.properties, spec.popup, spec.action); });
      m.openPopup();
    });
    if (target.addLayers) { target.addLayers(markers); } else { markers.forEach(function (m) { target.addLayer(m); }); }
    return target;
  }

  function classColor(data, f) {
    var classes = (data.legend && data.legend.classes) || [];
    var c = f.properties ? f.properties._class : null;
    return (c === null || c === undefined || !classes[c]) ? (data.legend ? data.legend.no_data_color : "#d1d5db") : classes[c].color;
  }

  function polygonLayer(data, spec, outlineOnly) {
    return L.geoJSON(data, {
      style: function (f) {
        var s = {};
        Object.keys(spec.style).forEach(function (k) { s[k] = spec.style[k]; });
        // Over desert cells a boundary is its outline: a click inside it is the cell's.
        if (outlineOnly && !spec.choropleth) s.fill = false;
        if (spec.choropleth) s.fillColor = classColor(data, f);
        return s;
      },
      onEachFeature: function (f, layer) {
        if (!outlineOnly || spec.name === "deserts") {
          layer.bindPopup(function () { return popupNode(f.properties, spec.popup, spec.action); });
          return;
        }
        // Under desert cells a click is the cell's; elsewhere the boundary's (or rollup's) own.
        layer.on("click", function (e) {
          if (cellHit && cellHit(e.latlng)) return;
          L.DomEvent.stop(e);
          L.popup().setLatLng(e.latlng).setContent(popupNode(f.properties, spec.popup, spec.action)).openOn(layer._map);
        });
      }
    });
  }

  // The class breaks of a choropleth, written under its line in the legend; every label is text.
  function drawLegend(spec, legend) {
    var item = document.querySelector('.atlas-legend li[data-layer="' + spec.name + '"]');
    if (!item || !legend) return;
    var title = document.createElement("div");
    title.className = "legend-title";
    title.textContent = legend.title || "";
    item.appendChild(title);
    if (legend.classes && legend.classes.length) {
      var list = document.createElement("ul");
      list.className = "classes";
      legend.classes.forEach(function (c) {
        var li = document.createElement("li");
        var sw = document.createElement("span");
        sw.className = "fill";
        sw.style.backgroundColor = c.color;
        li.appendChild(sw);
        li.appendChild(document.createTextNode(c.count === null || c.count === undefined ? c.label : c.label + " (" + num(c.count, 0) + ")"));
        list.appendChild(li);
      });
      item.appendChild(list);
    }
    if (legend.note) {
      var note = document.createElement("p");
      note.className = "legend-note";
      note.textContent = legend.note;
      item.appendChild(note);
    }
  }

  var loaded = {};
  var cellHit = null;  // the desert cell (from tiles) under a point, while the cells are shown

  // Desert cells from vector tiles, above the boundary and rollup layers; a click finds its cell.
  function cellTiles(map, spec, group) {
    var legend = spec.tiles.legend, rule = RULES[legend.rule];
    if (!map.getPane("atlasCells")) {
      var pane = map.createPane("atlasCells");
      pane.style.zIndex = 450;
      pane.style.pointerEvents = "none";
    }
    var layer = AtlasTiles.tileLayer({
      url: spec.tiles.url, layer: "deserts", nativeZoom: spec.tiles.native_zoom, extents: spec.tiles.extents,
      pane: "atlasCells",
      opacity: spec.style.fillOpacity,
      color: function (p) { var c = bandOf(rule(p), legend.classes); return c === null ? null : legend.classes[c].color; }
    });
    group.addLayer(layer);
    layer.on("load", function () { document.body.setAttribute("data-atlas-tiles", "drawn"); });
    cellHit = function (latlng) { return map.hasLayer(group) ? layer.featureAt(map, latlng) : null; };
    map.on("click", function (e) {
      if (!map.hasLayer(group)) return;
      var f = layer.featureAt(map, e.latlng);
      if (!f) return;
      L.popup().setLatLng(e.latlng).setContent(popupNode(f.properties, spec.popup, spec.action)).openOn(map);
    });
    drawLegend(spec, legend);
    return layer;
  }

  // Leaflet pans a popup into view within the map's edges, but the filter panel lies over the top
  // of the map: a popup opened near the top hid its first lines under it. Popups made without
  // their own padding read it from L.Popup's defaults, kept here below the panel's bottom edge
  // (updated as a press, a tap or a key begins, before any popup opens, and when the panel folds).
  function keepPopupsClearOfPanels(map) {
    var container = map.getContainer();
    function update() {
      var top = container.getBoundingClientRect().top, clear = 5;
      document.querySelectorAll(".atlas-panel, .atlas-header").forEach(function (el) {
        var r = el.getBoundingClientRect();
        if (r.height) clear = Math.max(clear, r.bottom - top + 8);
      });
      L.Popup.prototype.options.autoPanPaddingTopLeft = L.point(5, clear);
    }
    ["mousedown", "touchstart", "keydown"].forEach(function (type) {
      container.addEventListener(type, update, true);
    });
    document.addEventListener("toggle", update, true);
    update();
  }

  function load(map, specs, groups) {
    keepPopupsClearOfPanels(map);
    var status = document.querySelector(".atlas-legend .status");
    var counts = {};
    var hasCells = specs.some(function (s) { return s.name === "deserts"; });
    specs.filter(function (s) { return s.tiles; }).forEach(function (spec) {
      loaded[spec.name] = cellTiles(map, spec, groups[spec.group]);
      counts[spec.name] = "tiles";
    });
    // A layer's classes show in the legend only while the layer is on.
    function legendState() {
      specs.forEach(function (spec) {
        var item = document.querySelector('.atlas-legend li[data-layer="' + spec.name + '"]');
        if (item) item.classList.toggle("off", !map.hasLayer(groups[spec.group]));
      });
    }
    map.on("overlayadd overlayremove", legendState);
    legendState();
    specs = specs.filter(function (s) { return !s.tiles; });
    var pending = specs.length;
    specs.forEach(function (spec) {
      // "same-origin" matches the page's <link rel=preload crossorigin=anonymous>; no cookies are ever set.
      fetch(spec.url, { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (data) {
          var layer = spec.geometry === "point" ? pointLayer(data, spec) : polygonLayer(data, spec, hasCells);
          groups[spec.group].addLayer(layer);
          loaded[spec.name] = layer;
          counts[spec.name] = data.features.length;
          if (spec.choropleth) drawLegend(spec, data.legend);
          if (spec.geometry === "polygon") { groups[spec.group].bringToBack(); }
        })
        .catch(function (e) { counts[spec.name] = "error " + String((e && e.message) || e); })
        .finally(function () {
          pending -= 1;
          if (pending === 0) {
            // Cells drawn as GeoJSON lie above boundaries, services above cells: clicks go to them.
            specs.forEach(function (s) { if (s.name === "deserts") groups[s.group].bringToFront(); });
            specs.forEach(function (s) { if (s.geometry === "point" && groups[s.group].bringToFront) groups[s.group].bringToFront(); });
            document.body.setAttribute("data-atlas-loaded", JSON.stringify(counts));
            if (status) status.textContent = "";
          }
        });
    });
    if (status) status.textContent = "Loading…";
    // Page scripts that add to the map (the what-if panel on /map) take it from here.
    document.dispatchEvent(new CustomEvent("atlas-map", { detail: map }));
  }

  // On a phone the filters and the full legend start folded, so the map is what shows first. Each
  // is decided as the parser adds it, before the first paint (at DOMContentLoaded a frame had
  // already shown the legend open), and only once: then it is the reader's. The width is read then,
  // not now: this script runs before the page's viewport <meta>, when a phone still reports 980 px.
  var decided = [];
  function foldOnPhone() {
    var phone = window.matchMedia && window.matchMedia("(max-width: 640px)").matches;
    document.querySelectorAll("details.atlas-filters, details.atlas-legend:not(.compact)").forEach(function (d) {
      if (decided.indexOf(d) >= 0) return;
      decided.push(d);
      if (phone) d.open = false;
    });
  }
  var parsing = window.MutationObserver ? new MutationObserver(foldOnPhone) : null;
  if (parsing) parsing.observe(document.documentElement, { childList: true, subtree: true });
  document.addEventListener("DOMContentLoaded", function () {
    foldOnPhone();
    if (parsing) parsing.disconnect();
  });

  // A printed map shows its legend open, even where the screen had it folded; afterwards the
  // screen gets back the state the reader left it in.
  var foldedForPrint = [];
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details.atlas-legend:not([open])").forEach(function (d) {
      d.open = true;
      foldedForPrint.push(d);
    });
  });
  window.addEventListener("afterprint", function () {
    foldedForPrint.forEach(function (d) { d.open = false; });
    foldedForPrint = [];
  });

  window.AtlasMap = { load: load, popupNode: popupNode, layers: loaded, formats: FORMATS };
})();
