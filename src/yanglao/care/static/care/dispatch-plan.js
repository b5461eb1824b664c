/* 派单建议 (care/dispatch/page.html): draws the suggested routes on a Leaflet map after HTMX has
 * swapped the result in. No internet tiles: the county outline (/api/v1/regions/CODE/outlines) is
 * the base layer; each caregiver's route is a coloured line from home through the numbered stops
 * and back home. The routes come from the #dispatch-routes JSON script of the result.
 */
(function () {
  "use strict";

  var container = document.getElementById("dispatch-map");
  if (!container || typeof L === "undefined") {
    return;
  }
  var map = null;
  var routesLayer = null;
  var outlineLayer = null;

  function ensureMap() {
    if (map) {
      return map;
    }
    container.hidden = false;
    map = L.map(container, { zoomSnap: 0.25, minZoom: 5, maxZoom: 17, attributionControl: true });
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("直线距离示意；行政区划轮廓为示意，不作为界线依据");
    L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);
    map.createPane("outlines");
    map.getPane("outlines").style.zIndex = 350;
    routesLayer = L.layerGroup().addTo(map);
    fetch(container.dataset.outlinesUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (collection) {
        if (!collection) {
          return;
        }
        outlineLayer = L.geoJSON(collection, {
          pane: "outlines",
          interactive: false,
          style: function () {
            return { color: "#7b8794", weight: 1.2, fillColor: "#fbf8ef", fillOpacity: 0.85 };
          },
        }).addTo(map);
      })
      .catch(function () {
        /* the routes alone are still useful */
      });
    return map;
  }

  function stopIcon(label, colour) {
    return L.divIcon({
      className: "dispatch-stop",
      html: '<span style="color:' + colour + '">' + label + "</span>",
      iconSize: [20, 20],
    });
  }

  function draw() {
    var script = document.getElementById("dispatch-routes");
    if (!script) {
      return;
    }
    var data = JSON.parse(script.textContent);
    ensureMap();
    routesLayer.clearLayers();
    var bounds = L.latLngBounds([]);
    data.routes.forEach(function (route) {
      var path = [route.home];
      route.stops.forEach(function (stop) {
        path.push(stop.at);
      });
      path.push(route.home);
      L.polyline(path, { color: route.colour, weight: 3, opacity: 0.85 })
        .bindTooltip(route.caregiver + "（" + route.stops.length + " 张）")
        .addTo(routesLayer);
      L.circleMarker(route.home, { radius: 6, color: route.colour, fillColor: "#fff", fillOpacity: 1, weight: 3 })
        .bindTooltip(route.caregiver + " 住处")
        .addTo(routesLayer);
      route.stops.forEach(function (stop, index) {
        L.marker(stop.at, { icon: stopIcon(String(index + 1), route.colour) })
          .bindTooltip(route.caregiver + " 第 " + (index + 1) + " 站 " + stop.start + " " + stop.product + "（" + stop.number + "）")
          .addTo(routesLayer);
      });
      path.forEach(function (point) {
        bounds.extend(point);
      });
    });
    container.dataset.routeCount = String(data.routes.length);
    map.invalidateSize();
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
    } else if (outlineLayer) {
      map.fitBounds(outlineLayer.getBounds());
    }
  }

  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail && event.detail.target && event.detail.target.id === "dispatch-result") {
      draw();
    }
  });
})();
