// Upstream Atlas /find: draw the public results on a Leaflet map (local Leaflet; the basemap is
// optional) and wire the print button. Names reach the page only as text nodes.
(function () {
  "use strict";
  var data = document.getElementById("map-points");
  var box = document.getElementById("map");
  var print = document.getElementById("print-button");
  if (print) { print.addEventListener("click", function () { window.print(); }); }
  var results = document.getElementById("results");
  if (results && results.focus) { results.focus({ preventScroll: false }); }
  if (!data || !box || !window.L) { document.body.setAttribute("data-find-ready", "no-map"); return; }
  var points = JSON.parse(data.textContent || "[]");
  var map = L.map(box, { scrollWheelZoom: false, zoomControl: true });
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
  document.body.setAttribute("data-find-ready", String(markers.length));
})();
