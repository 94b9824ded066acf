// Upstream Atlas: fill folium feature groups with layer data fetched from the JSON API.
// Popups are DOM nodes filled with textContent, so names and descriptions are always text.
(function () {
  "use strict";

  function popupNode(props, fields) {
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
      dd.textContent = Array.isArray(value) ? value.join(", ") : String(value);
      dl.appendChild(dt);
      dl.appendChild(dd);
    });
    box.appendChild(dl);
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
      if (!m.getPopup()) m.bindPopup(function () { return popupNode(m.feature.properties, spec.popup); });
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

  function polygonLayer(data, spec) {
    return L.geoJSON(data, {
      style: function (f) {
        if (!spec.choropleth) return spec.style;
        var s = {};
        Object.keys(spec.style).forEach(function (k) { s[k] = spec.style[k]; });
        s.fillColor = classColor(data, f);
        return s;
      },
      onEachFeature: function (f, layer) {
        layer.bindPopup(function () { return popupNode(f.properties, spec.popup); });
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
        li.appendChild(document.createTextNode(c.label + " (" + c.count + ")"));
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

  function load(map, specs, groups) {
    var status = document.querySelector(".atlas-legend .status");
    var pending = specs.length;
    var counts = {};
    specs.forEach(function (spec) {
      // "same-origin" matches the page's <link rel=preload crossorigin=anonymous>; no cookies are ever set.
      fetch(spec.url, { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (data) {
          var layer = spec.geometry === "point" ? pointLayer(data, spec) : polygonLayer(data, spec);
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
            document.body.setAttribute("data-atlas-loaded", JSON.stringify(counts));
            if (status) status.textContent = "";
          }
        });
    });
    if (status) status.textContent = "Loading…";
  }

  window.AtlasMap = { load: load, popupNode: popupNode, layers: loaded };
})();
