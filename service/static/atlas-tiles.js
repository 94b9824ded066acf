// Upstream Atlas: desert cells drawn from /tiles/deserts (Mapbox vector tiles) on canvas tiles, so a
// statewide map loads a few hundred kilobytes instead of every cell as GeoJSON. A small MVT reader
// (protobuf varints, the tile spec's MoveTo/LineTo/ClosePath commands), a Leaflet GridLayer, and a
// hit test so a click on a cell finds the cell under it. Property values are only ever text.
(function () {
  "use strict";

  // --- protobuf / MVT reading -------------------------------------------------------------------
  function Reader(buf) { this.buf = buf; this.pos = 0; }
  Reader.prototype.varint = function () {
    var b, result = 0, shift = 1;
    do {
      b = this.buf[this.pos++];
      result += (b & 0x7f) * shift;
      shift *= 128;
    } while (b >= 0x80);
    return result;
  };
  Reader.prototype.bytes = function () {
    var len = this.varint(), start = this.pos;
    this.pos += len;
    return this.buf.subarray(start, start + len);
  };
  Reader.prototype.skip = function (wire) {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.pos += this.varint();
    else if (wire === 5) this.pos += 4;
  };
  function zigzag(n) { return (n % 2) ? -(n + 1) / 2 : n / 2; }
  var utf8 = new TextDecoder("utf-8");

  function readValue(bytes) {
    var r = new Reader(bytes), view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), value = null;
    while (r.pos < bytes.length) {
      var tag = r.varint(), field = tag >> 3, wire = tag & 7;
      if (field === 1) value = utf8.decode(r.bytes());
      else if (field === 2) { value = view.getFloat32(r.pos, true); r.pos += 4; }
      else if (field === 3) { value = view.getFloat64(r.pos, true); r.pos += 8; }
      else if (field === 4 || field === 5) value = r.varint();
      else if (field === 6) value = zigzag(r.varint());
      else if (field === 7) value = r.varint() === 1;
      else r.skip(wire);
    }
    return value;
  }

  function packed(bytes) {
    var r = new Reader(bytes), out = [];
    while (r.pos < bytes.length) out.push(r.varint());
    return out;
  }

  // Rings in tile units (0..extent), from the geometry command stream.
  function rings(cmds) {
    var out = [], ring = null, x = 0, y = 0, i = 0;
    while (i < cmds.length) {
      var id = cmds[i] & 7, count = cmds[i] >> 3;
      i += 1;
      if (id === 7) { if (ring) out.push(ring); ring = null; continue; }
      for (var k = 0; k < count; k++) {
        x += zigzag(cmds[i]); y += zigzag(cmds[i + 1]); i += 2;
        if (id === 1) { if (ring && ring.length) out.push(ring); ring = []; }
        ring.push(x, y);
      }
    }
    if (ring && ring.length) out.push(ring);
    return out;
  }

  function readLayer(bytes) {
    var r = new Reader(bytes), keys = [], values = [], raw = [], extent = 4096, name = "";
    while (r.pos < bytes.length) {
      var tag = r.varint(), field = tag >> 3;
      if (field === 1) name = utf8.decode(r.bytes());
      else if (field === 2) raw.push(r.bytes());
      else if (field === 3) keys.push(utf8.decode(r.bytes()));
      else if (field === 4) values.push(readValue(r.bytes()));
      else if (field === 5) extent = r.varint();
      else r.skip(tag & 7);
    }
    var features = raw.map(function (fb) {
      var fr = new Reader(fb), props = {}, geom = [];
      while (fr.pos < fb.length) {
        var t = fr.varint(), f = t >> 3;
        if (f === 2) {
          var tags = packed(fr.bytes());
          for (var j = 0; j + 1 < tags.length; j += 2) props[keys[tags[j]]] = values[tags[j + 1]];
        } else if (f === 4) geom = packed(fr.bytes());
        else fr.skip(t & 7);
      }
      return { properties: props, rings: rings(geom) };
    });
    return { name: name, extent: extent, features: features };
  }

  function readTile(buf) {
    var r = new Reader(new Uint8Array(buf)), layers = {};
    while (r.pos < r.buf.length) {
      var tag = r.varint();
      if ((tag >> 3) === 3) { var layer = readLayer(r.bytes()); layers[layer.name] = layer; } else r.skip(tag & 7);
    }
    return layers;
  }

  // --- hit test ---------------------------------------------------------------------------------
  function inside(x, y, ring) {
    var hit = false;
    for (var i = 0, j = ring.length - 2; i < ring.length; j = i, i += 2) {
      var xi = ring[i], yi = ring[i + 1], xj = ring[j], yj = ring[j + 1];
      if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) hit = !hit;
    }
    return hit;
  }

  // --- the layer --------------------------------------------------------------------------------
  // options: url (with {z}/{x}/{y}), layer (MVT layer name), color(props) → fill or null,
  // nativeZoom (tiles are fetched at this zoom or deeper and scaled), popup(props) → DOM node,
  // extents ([[west, south, east, north], …]: every tile meeting none of them is empty, so it is
  // never fetched).
  function tileLayer(options) {
    var cache = {};
    var extents = (options.extents || []).map(function (e) { return L.latLngBounds([e[1], e[0]], [e[3], e[2]]); });
    var Layer = L.GridLayer.extend({
      _isValidTile: function (coords) {
        if (!L.GridLayer.prototype._isValidTile.call(this, coords)) return false;
        if (!options.extents) return true;
        var tile = this._tileCoordsToBounds(coords);
        return extents.some(function (e) { return e.intersects(tile); });
      },
      createTile: function (coords, done) {
        var canvas = document.createElement("canvas"), size = this.getTileSize(), ratio = window.devicePixelRatio || 1;
        canvas.width = size.x * ratio; canvas.height = size.y * ratio;
        var key = coords.z + "/" + coords.x + "/" + coords.y;
        fetch(options.url.replace("{z}", coords.z).replace("{x}", coords.x).replace("{y}", coords.y),
              { credentials: "same-origin" })
          .then(function (r) { if (!r.ok) throw new Error(r.status); return r.status === 204 ? null : r.arrayBuffer(); })
          .then(function (buf) {
            var layer = buf ? readTile(buf)[options.layer] : null;
            cache[key] = layer;
            if (layer) draw(canvas, layer, ratio * size.x / layer.extent);
            done(null, canvas);
          })
          .catch(function (e) { done(e, canvas); });
        return canvas;
      }
    });
    function draw(canvas, layer, scale) {
      var ctx = canvas.getContext("2d");
      ctx.globalAlpha = options.opacity || 0.7;
      layer.features.forEach(function (f) {
        var fill = options.color(f.properties);
        if (!fill) return;
        ctx.beginPath();
        f.rings.forEach(function (ring) {
          ctx.moveTo(ring[0] * scale, ring[1] * scale);
          for (var i = 2; i < ring.length; i += 2) ctx.lineTo(ring[i] * scale, ring[i + 1] * scale);
          ctx.closePath();
        });
        ctx.fillStyle = fill;
        ctx.fill();
      });
    }
    var grid = new Layer({ minNativeZoom: options.nativeZoom, minZoom: options.minZoom || 0,
                           pane: options.pane, tileSize: 256, updateWhenZooming: false });
    grid.on("tileunload", function (e) { delete cache[e.coords.z + "/" + e.coords.x + "/" + e.coords.y]; });
    // The cell under a point, from the tiles already drawn (none fetched for a click).
    grid.featureAt = function (map, latlng) {
      var z = Math.max(Math.round(map.getZoom()), options.nativeZoom);
      var p = map.project(latlng, z), tx = Math.floor(p.x / 256), ty = Math.floor(p.y / 256);
      var layer = cache[z + "/" + tx + "/" + ty];
      if (!layer) return null;
      var x = (p.x - tx * 256) * layer.extent / 256, y = (p.y - ty * 256) * layer.extent / 256;
      for (var i = 0; i < layer.features.length; i++) {
        var f = layer.features[i];
        for (var k = 0; k < f.rings.length; k++) if (inside(x, y, f.rings[k])) return f;
      }
      return null;
    };
    return grid;
  }

  window.AtlasTiles = { tileLayer: tileLayer, readTile: readTile };
})();
