/* 规划地图: the coverage page (#coverage-map with #coverage-data) and a siting result
 * (#siting-map with #siting-data). No internet tiles: circles, hexagons and markers on a plain
 * background, everything from the page itself.
 *
 * coverage-data: {sites: [[lat, lng, radius_m, name, type, status, kind]], hexes: [[lat, lng, count,
 *                 weight]], hex_size_m}
 * siting-data:   {sites: [[lat, lng, radius_m, name, rank]], candidates: [[lat, lng, name, radius]],
 *                 hexes: [...], hex_size_m}
 */
(function () {
  "use strict";

  var M_PER_DEG = 111195;

  function readJson(id) {
    var node = document.getElementById(id);
    if (!node) {
      return null;
    }
    try {
      return JSON.parse(node.textContent);
    } catch (e) {
      return null;
    }
  }

  function fail(container, text) {
    var box = document.createElement("div");
    box.className = "map-message";
    box.textContent = text;
    container.appendChild(box);
    container.dataset.state = "error";
  }

  function hexagon(lat, lng, size) {
    var points = [];
    var kx = M_PER_DEG * Math.cos((lat * Math.PI) / 180);
    for (var k = 0; k < 6; k++) {
      var angle = ((60 * k + 30) * Math.PI) / 180;
      points.push([lat + (size * Math.sin(angle)) / M_PER_DEG, lng + (size * Math.cos(angle)) / kx]);
    }
    return points;
  }

  var SHADES = ["#fee5d9", "#fcbba1", "#fc9272", "#fb6a4a", "#de2d26", "#a50f15"];

  function drawHexes(map, hexes, size, bounds) {
    if (!hexes || !hexes.length || !size) {
      return 0;
    }
    var weights = hexes.map(function (h) { return h[3]; }).sort(function (a, b) { return a - b; });
    function shade(w) {
      var rank = 0;
      for (var i = 1; i < SHADES.length; i++) {
        if (w > weights[Math.floor((weights.length - 1) * i / SHADES.length)]) {
          rank = i;
        }
      }
      return SHADES[rank];
    }
    var layer = L.layerGroup();
    hexes.forEach(function (h) {
      var poly = L.polygon(hexagon(h[0], h[1], size), {
        stroke: false, fillColor: shade(h[3]), fillOpacity: 0.65, className: "uncovered-hex",
      });
      poly.bindTooltip("服务圈外 " + h[2] + " 人（加权 " + h[3] + "）");
      layer.addLayer(poly);
      bounds.extend([h[0], h[1]]);
    });
    layer.addTo(map);
    return hexes.length;
  }

  // Leaflet draws paths only once the map has a view: set it from every point before drawing.
  function dataBounds(data) {
    var bounds = L.latLngBounds([]);
    ["sites", "hexes", "candidates"].forEach(function (key) {
      (data[key] || []).forEach(function (row) {
        bounds.extend([row[0], row[1]]);
      });
    });
    return bounds;
  }

  // The county outlines under everything (from the regions API); the map works without them.
  function drawOutlines(map, container, code) {
    var template = container.dataset.outlinesUrl;
    if (!template || !/^\d{2,6}$/.test(code || "") || typeof window.fetch !== "function") {
      return;
    }
    map.createPane("outlines");
    map.getPane("outlines").style.zIndex = 350;
    window
      .fetch(template.replace("CODE", code), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (collection) {
        if (!collection) {
          return;
        }
        L.geoJSON(collection, {
          pane: "outlines",
          interactive: false,
          style: function () {
            return { color: "#7b8794", weight: 1.2, fillColor: "#fbf8ef", fillOpacity: 0.85 };
          },
        }).addTo(map);
        container.dataset.outlines = "ready";
      })
      .catch(function () {
        container.dataset.outlines = "error";
      });
  }

  function baseMap(container, data) {
    var map = L.map(container, { zoomSnap: 0.25, minZoom: 4, maxZoom: 17, attributionControl: true });
    var bounds = dataBounds(data);
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [16, 16], maxZoom: 15 });
    } else {
      map.setView([44.0, 113.0], 5);
    }
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("示意图，无底图");
    L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);
    drawOutlines(map, container, data.outline_code);
    return map;
  }

  function finish(map, container, bounds) {
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [16, 16], maxZoom: 15 });
    } else {
      map.setView([44.0, 113.0], 5);
    }
    container.dataset.state = "ready";
    container.classList.add("is-ready");
  }

  function coverageMap(container, data) {
    var map = baseMap(container, data);
    var bounds = dataBounds(data);
    var hexCount = drawHexes(map, data.hexes, data.hex_size_m, bounds);
    var circles = L.layerGroup();
    (data.sites || []).forEach(function (s) {
      var planned = s[5] !== "operating";
      var colour = s[6] === "plan" ? "#6a3d9a" : planned ? "#ff7f0e" : "#1f77b4";
      L.circle([s[0], s[1]], {
        radius: s[2], color: colour, weight: 1, dashArray: planned ? "4 4" : null,
        fillColor: colour, fillOpacity: 0.08, className: "service-circle",
      }).addTo(circles);
      L.circleMarker([s[0], s[1]], {
        radius: 3, color: colour, weight: 1, fillColor: planned ? "#fff" : colour, fillOpacity: 1,
        className: "facility-dot",
      }).bindTooltip(s[3] + "（服务半径 " + Math.round(s[2]) + " 米）").addTo(circles);
      bounds.extend([s[0], s[1]]);
    });
    circles.addTo(map);
    container.dataset.siteCount = String((data.sites || []).length);
    container.dataset.hexCount = String(hexCount);
    finish(map, container, bounds);
  }

  function sitingMap(container, data) {
    var map = baseMap(container, data);
    var bounds = dataBounds(data);
    drawHexes(map, data.hexes, data.hex_size_m, bounds);
    (data.candidates || []).forEach(function (c) {
      L.circleMarker([c[0], c[1]], {
        radius: 3, color: "#7f7f7f", weight: 1, fillColor: "#bdbdbd", fillOpacity: 0.9, className: "candidate-dot",
      }).bindTooltip(c[2]).addTo(map);
    });
    (data.sites || []).forEach(function (s) {
      L.circle([s[0], s[1]], {
        radius: s[2], color: "#2ca02c", weight: 1.5, fillColor: "#2ca02c", fillOpacity: 0.12,
        className: "proposed-circle",
      }).addTo(map);
      L.marker([s[0], s[1]], {
        icon: L.divIcon({ className: "proposed-site", html: "<span>" + s[4] + "</span>", iconSize: [22, 22] }),
        title: s[3],
      }).bindTooltip("第 " + s[4] + " 个：" + s[3]).addTo(map);
      bounds.extend([s[0], s[1]]);
    });
    container.dataset.siteCount = String((data.sites || []).length);
    finish(map, container, bounds);
  }

  var coverage = document.getElementById("coverage-map");
  var siting = document.getElementById("siting-map");
  var container = coverage || siting;
  if (!container) {
    return;
  }
  if (typeof window.L === "undefined") {
    fail(container, "地图组件（Leaflet）未能加载，请联系系统管理员检查静态文件（make vendor）。");
    return;
  }
  var L = window.L;
  var data = readJson(coverage ? "coverage-data" : "siting-data");
  if (!data) {
    fail(container, "地图数据未能读取。");
    return;
  }
  try {
    if (coverage) {
      coverageMap(container, data);
    } else {
      sitingMap(container, data);
    }
  } catch (e) {
    if (window.console) {
      window.console.error(e);
    }
    fail(container, "地图显示出错，请刷新页面重试。");
  }
})();
