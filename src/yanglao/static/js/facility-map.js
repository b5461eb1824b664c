/* 设施地图: county outlines as the base layer (no internet tiles), facilities as circle markers
 * coloured by type, clustered when dense, a legend with counts per type, popups linking to each
 * facility. Everything comes from /static/ and the JSON API, so it works offline.
 *
 * The page (facilities/map.html) passes on #facility-map:
 *   data-points-url    /api/v1/facilities/map with the page's filters
 *   data-outlines-url  /api/v1/regions/CODE/outlines (CODE replaced here)
 *   data-outline-code  the filter's region, first 6 digits (empty when no region is chosen)
 *   data-home-code     the user's own county, 盟市 or 自治区 (6 digits)
 *   data-filter-region the filter's region code as submitted
 *   data-home-region   the user's own region code (12 digits)
 *   data-detail-url    /facilities/0/ (0 replaced by the id)
 * and the type and status labels (from models.py, through the filter form) as JSON scripts.
 */
(function () {
  "use strict";

  // One clear colour per type (Tableau 10): the tiers warm, the village level cool.
  var TYPE_COLOURS = {
    county_centre: "#d62728",
    township_centre: "#ff7f0e",
    station: "#1f77b4",
    mutual_aid: "#2ca02c",
    pastoral: "#8c564b",
    neighbour: "#17becf",
    institution_public: "#9467bd",
    institution_private: "#e377c2",
    canteen: "#bcbd22",
  };
  var OTHER_COLOUR = "#7f7f7f";
  var TYPE_RADIUS = { county_centre: 9, township_centre: 7, institution_public: 7, institution_private: 7 };
  var DEFAULT_RADIUS = 5;
  var OPERATING = "operating";
  var DEFAULT_VIEW = { center: [44.0, 113.0], zoom: 5 }; // 内蒙古, when there is nothing to fit

  var container = document.getElementById("facility-map");
  if (!container) {
    return;
  }
  var statusLine = document.getElementById("facility-map-status");
  var errorBox = document.getElementById("facility-map-error");

  function setStatus(text) {
    if (statusLine) {
      statusLine.textContent = text;
    }
  }

  function showError(text) {
    if (!errorBox) {
      return;
    }
    var line = document.createElement("p");
    line.textContent = text;
    errorBox.appendChild(line);
    errorBox.hidden = false;
  }

  // When nothing at all could be drawn: say so inside the map instead of leaving it blank.
  function showMapMessage(text) {
    var overlay = document.createElement("div");
    overlay.className = "map-message";
    overlay.textContent = text;
    container.appendChild(overlay);
  }

  function readLabels(id) {
    var labels = {};
    var node = document.getElementById(id);
    if (!node) {
      return labels;
    }
    try {
      JSON.parse(node.textContent).forEach(function (pair) {
        if (pair[0]) {
          labels[pair[0]] = pair[1];
        }
      });
    } catch (e) {
      // labels fall back to the codes
    }
    return labels;
  }

  if (typeof window.L === "undefined" || typeof window.L.markerClusterGroup !== "function") {
    setStatus("地图未能显示。");
    showError("地图组件（Leaflet）未能加载，请联系系统管理员检查静态文件（make vendor）。");
    showMapMessage("地图组件未能加载");
    container.classList.add("is-ready");
    container.dataset.state = "error";
    return;
  }
  var L = window.L;
  var TYPE_LABELS = readLabels("facility-type-labels");
  var STATUS_LABELS = readLabels("facility-status-labels");
  var TYPES = Object.keys(TYPE_LABELS).length ? Object.keys(TYPE_LABELS) : Object.keys(TYPE_COLOURS);

  // --- URLs ----------------------------------------------------------------------------------

  // The filter form submits every field, empty ones too, and the region picker's own selects
  // (region__pick); the API rejects an empty type/status/operating_mode, so send only what is set.
  function pointsUrl() {
    var url = new URL(container.dataset.pointsUrl, window.location.href);
    var keep = ["q", "region", "type", "status", "operating_mode", "failing"];
    var params = new URLSearchParams();
    url.searchParams.forEach(function (value, key) {
      if (keep.indexOf(key) !== -1 && value.trim() !== "") {
        params.append(key, value.trim());
      }
    });
    url.search = params.toString();
    return url.toString();
  }

  function validCode(code) {
    return /^\d{2,12}$/.test(code || "") ? code : "";
  }

  function outlinesUrl(code) {
    return container.dataset.outlinesUrl.replace("CODE", encodeURIComponent(code));
  }

  function detailUrl(id) {
    return container.dataset.detailUrl.replace(/\/0\/$/, "/" + id + "/");
  }

  // The region looked at (the filter's, else the user's own) lies below the county (a township or a
  // village): the map then shows its facilities closer than the county's outline.
  function focusIsBelowCounty() {
    var code = validCode(container.dataset.filterRegion) || validCode(container.dataset.homeRegion);
    return code.length === 12 && !/^0+$/.test(code.slice(6));
  }

  // --- fetching ------------------------------------------------------------------------------

  function FetchError(message, status) {
    this.message = message;
    this.status = status;
  }

  function fetchJson(url, what) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(
      function (response) {
        if (response.ok) {
          return response.json().catch(function () {
            throw new FetchError(what + "加载失败：服务器返回的数据无法解析。", response.status);
          });
        }
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (body) {
            var message = String(body.message || "").replace(/[。.]+$/, "");
            var reason;
            if (response.status === 401) {
              reason = "登录已过期，请重新登录。";
            } else if (response.status === 403) {
              reason = (message || "您没有查看此数据的权限") + "。";
            } else if (response.status === 404) {
              reason = "所选区划不存在或不在您的管辖范围内。";
            } else if (response.status === 422) {
              reason = "筛选条件有误（" + (message || "请求参数有误") + "）。";
            } else {
              reason = (message || "服务器错误") + "（HTTP " + response.status + "）。";
            }
            throw new FetchError(what + "加载失败：" + reason, response.status);
          });
      },
      function () {
        throw new FetchError(what + "加载失败：无法连接服务器，请检查网络后刷新页面。", 0);
      }
    );
  }

  function loadOutlines() {
    var home = validCode(container.dataset.homeCode);
    var chosen = validCode(container.dataset.outlineCode) || home;
    if (!chosen) {
      return Promise.reject(new FetchError("区划轮廓加载失败：无法确定您的区划。", 0));
    }
    return fetchJson(outlinesUrl(chosen), "区划轮廓").catch(function (error) {
      // A region outside the user's scope: the list shows nothing, the map still shows home.
      if (error.status === 404 && home && home !== chosen) {
        return fetchJson(outlinesUrl(home), "区划轮廓");
      }
      throw error;
    });
  }

  // --- the map -------------------------------------------------------------------------------

  var map = L.map(container, {
    zoomControl: false,
    zoomSnap: 0.25,
    minZoom: 4,
    maxZoom: 17,
    attributionControl: true,
  });
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution("行政区划轮廓为示意，不作为界线依据");
  L.control.zoom({ zoomInTitle: "放大", zoomOutTitle: "缩小", position: "topleft" }).addTo(map);
  L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);

  // Outlines in a pane of their own under every marker; their names above the clusters (click-through).
  map.createPane("outlines");
  map.getPane("outlines").style.zIndex = 350;
  map.createPane("county-labels");
  map.getPane("county-labels").style.zIndex = 640;
  var outlineRenderer = L.svg({ pane: "outlines" });

  var homeBounds = null;
  function fitHome() {
    if (homeBounds && homeBounds.isValid()) {
      // Keep the legend (bottom right) off the area when the map is wide enough to spare it.
      var legend = container.querySelector(".map-legend");
      var spare = legend && container.clientWidth > 700 ? legend.offsetWidth + 24 : 16;
      map.fitBounds(homeBounds, { paddingTopLeft: [16, 16], paddingBottomRight: [spare, 16], maxZoom: 13 });
    } else {
      map.setView(DEFAULT_VIEW.center, DEFAULT_VIEW.zoom);
    }
  }

  var ResetControl = L.Control.extend({
    options: { position: "topleft" },
    onAdd: function () {
      var bar = L.DomUtil.create("div", "leaflet-bar map-reset");
      var button = L.DomUtil.create("a", "", bar);
      button.href = "#";
      button.title = "回到全图";
      button.setAttribute("role", "button");
      button.setAttribute("aria-label", "回到全图");
      button.textContent = "⌂";
      L.DomEvent.disableClickPropagation(bar);
      L.DomEvent.on(button, "click", function (event) {
        L.DomEvent.preventDefault(event);
        fitHome();
      });
      return bar;
    },
  });
  new ResetControl().addTo(map);

  function drawOutlines(collection) {
    var layer = L.geoJSON(collection, {
      renderer: outlineRenderer,
      interactive: false,
      style: function () {
        return {
          className: "county-outline",
          color: "#7b8794",
          weight: 1.2,
          fillColor: "#fbf8ef",
          fillOpacity: 0.85,
        };
      },
      onEachFeature: function (feature, polygon) {
        polygon.bindTooltip(feature.properties.name, {
          permanent: true,
          direction: "center",
          className: "county-label",
          interactive: false,
          pane: "county-labels",
        });
      },
    });
    layer.addTo(map);
    // A whole 自治区 has about a hundred counties: there, name only those drawn large enough.
    if (layer.getLayers().length > 20) {
      map.on("zoomend", function () {
        thinLabels(layer);
      });
      map.whenReady(function () {
        thinLabels(layer);
      });
    }
    return layer;
  }

  function thinLabels(layer) {
    layer.eachLayer(function (polygon) {
      var bounds = polygon.getBounds();
      var a = map.latLngToLayerPoint(bounds.getNorthWest());
      var b = map.latLngToLayerPoint(bounds.getSouthEast());
      var name = polygon.feature.properties.name || "";
      var fits = b.x - a.x >= name.length * 13 + 8 && b.y - a.y >= 24;
      if (fits && !polygon.isTooltipOpen()) {
        polygon.openTooltip();
      } else if (!fits && polygon.isTooltipOpen()) {
        polygon.closeTooltip();
      }
    });
  }

  // --- facilities ----------------------------------------------------------------------------

  function colourOf(type) {
    return TYPE_COLOURS[type] || OTHER_COLOUR;
  }

  function popupContent(point) {
    var box = document.createElement("div");
    box.className = "facility-popup";
    var link = document.createElement("a");
    link.href = detailUrl(point[0]);
    link.className = "facility-popup-name";
    link.textContent = point[5];
    box.appendChild(link);
    [
      ["类型", TYPE_LABELS[point[3]] || point[3]],
      ["状态", STATUS_LABELS[point[4]] || point[4]],
    ].forEach(function (row) {
      var line = document.createElement("div");
      line.className = "facility-popup-" + (row[0] === "类型" ? "type" : "status");
      var key = document.createElement("span");
      key.className = "muted";
      key.textContent = row[0] + "：";
      line.appendChild(key);
      line.appendChild(document.createTextNode(row[1]));
      box.appendChild(line);
    });
    return box;
  }

  function markerFor(point) {
    var type = point[3];
    var operating = point[4] === OPERATING;
    var colour = colourOf(type);
    var marker = L.circleMarker([point[2], point[1]], {
      radius: TYPE_RADIUS[type] || DEFAULT_RADIUS,
      // Operating: filled; planned, under construction, suspended or closed: hollow.
      color: operating ? "#ffffff" : colour,
      weight: operating ? 1.2 : 2.2,
      fillColor: operating ? colour : "#ffffff",
      fillOpacity: operating ? 0.92 : 0.85,
      className: "facility-marker facility-type-" + type + (operating ? "" : " facility-not-operating"),
      facilityType: type,
    });
    marker.bindPopup(function () {
      return popupContent(point);
    }, { minWidth: 180 });
    marker.bindTooltip(point[5], { direction: "top", offset: [0, -6] });
    marker.on("popupopen", function () {
      marker.closeTooltip();
    });
    return marker;
  }

  // The types' shares of a cluster as a CSS conic gradient.
  function typeRing(cluster) {
    var counts = {};
    var markers = cluster.getAllChildMarkers();
    markers.forEach(function (marker) {
      counts[marker.options.facilityType] = (counts[marker.options.facilityType] || 0) + 1;
    });
    var stops = [];
    var start = 0;
    TYPES.forEach(function (type) {
      if (counts[type]) {
        var end = start + (counts[type] / markers.length) * 360;
        stops.push(colourOf(type) + " " + start.toFixed(1) + "deg " + end.toFixed(1) + "deg");
        start = end;
      }
    });
    return "conic-gradient(" + stops.join(", ") + ")";
  }

  var clusters = L.markerClusterGroup({
    chunkedLoading: true,
    maxClusterRadius: 35,
    disableClusteringAtZoom: 14,
    spiderfyOnMaxZoom: true,
    showCoverageOnHover: false,
    // A dark disc with the count, in a ring showing the cluster's mix of types (legend colours).
    iconCreateFunction: function (cluster) {
      var count = cluster.getChildCount();
      var size = count < 10 ? "small" : count < 100 ? "medium" : "large";
      var diameter = count < 10 ? 30 : count < 100 ? 36 : 44;
      return L.divIcon({
        html: '<i class="facility-cluster-ring" style="background: ' + typeRing(cluster) + '"></i>' +
          "<div><span>" + count + "</span></div>",
        className: "marker-cluster facility-cluster facility-cluster-" + size,
        iconSize: L.point(diameter, diameter),
      });
    },
  });
  map.addLayer(clusters);

  var markersByType = {};
  var hiddenTypes = {};
  var totalShown = 0;

  function visibleCount() {
    var n = 0;
    Object.keys(markersByType).forEach(function (type) {
      if (!hiddenTypes[type]) {
        n += markersByType[type].length;
      }
    });
    return n;
  }

  function updateStatus() {
    var visible = visibleCount();
    var text = "地图上显示 " + visible + " 个设施";
    if (visible !== totalShown) {
      text += "（图例中已隐藏 " + (totalShown - visible) + " 个，共 " + totalShown + " 个）";
    }
    setStatus(text + "。");
  }

  function toggleType(type, button) {
    var markers = markersByType[type] || [];
    if (hiddenTypes[type]) {
      delete hiddenTypes[type];
      clusters.addLayers(markers);
    } else {
      hiddenTypes[type] = true;
      clusters.removeLayers(markers);
    }
    button.setAttribute("aria-pressed", hiddenTypes[type] ? "false" : "true");
    button.classList.toggle("is-off", Boolean(hiddenTypes[type]));
    updateStatus();
  }

  // Bottom right: a popup opens upwards from its marker, so it never runs under the legend.
  var Legend = L.Control.extend({
    options: { position: "bottomright" },
    onAdd: function () {
      var box = L.DomUtil.create("div", "map-legend");
      box.dataset.total = String(totalShown);
      var title = L.DomUtil.create("div", "map-legend-title", box);
      title.textContent = "设施类型";
      var total = L.DomUtil.create("span", "map-legend-total", title);
      total.textContent = "合计 " + totalShown;
      TYPES.forEach(function (type) {
        var count = (markersByType[type] || []).length;
        var item = L.DomUtil.create("button", "map-legend-item", box);
        item.type = "button";
        item.dataset.type = type;
        item.dataset.count = String(count);
        item.setAttribute("aria-pressed", "true");
        item.title = count ? "点击隐藏或显示此类设施" : "没有此类设施";
        item.disabled = count === 0;
        var swatch = L.DomUtil.create("span", "map-legend-swatch", item);
        swatch.style.background = colourOf(type);
        L.DomUtil.create("span", "map-legend-label", item).textContent = TYPE_LABELS[type] || type;
        L.DomUtil.create("span", "map-legend-count", item).textContent = String(count);
        L.DomEvent.on(item, "click", function () {
          toggleType(type, item);
        });
      });
      var note = L.DomUtil.create("div", "map-legend-note", box);
      var hollow = L.DomUtil.create("span", "map-legend-swatch map-legend-hollow", note);
      hollow.setAttribute("aria-hidden", "true");
      note.appendChild(document.createTextNode("空心：规划、在建、暂停或关闭"));
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    },
  });

  function drawPoints(data) {
    var points = (data && data.points) || [];
    var markers = [];
    points.forEach(function (point) {
      var marker = markerFor(point);
      (markersByType[point[3]] = markersByType[point[3]] || []).push(marker);
      if (TYPES.indexOf(point[3]) === -1) {
        TYPES.push(point[3]);
      }
      markers.push(marker);
    });
    totalShown = points.length;
    clusters.addLayers(markers);
    new Legend().addTo(map);
    container.dataset.pointCount = String(totalShown);
    return markers;
  }

  // --- both together -------------------------------------------------------------------------

  Promise.all([
    loadOutlines().then(
      function (data) {
        return { ok: true, data: data };
      },
      function (error) {
        return { ok: false, error: error };
      }
    ),
    fetchJson(pointsUrl(), "设施数据").then(
      function (data) {
        return { ok: true, data: data };
      },
      function (error) {
        return { ok: false, error: error };
      }
    ),
  ]).then(function (results) {
    var outlines = results[0];
    var points = results[1];
    var outlineLayer = null;
    var pointBounds = null;

    if (outlines.ok) {
      outlineLayer = drawOutlines(outlines.data);
      container.dataset.outlineCount = String(outlineLayer.getLayers().length);
    } else {
      showError(outlines.error.message || "区划轮廓加载失败。");
    }
    if (points.ok) {
      var markers = drawPoints(points.data);
      if (markers.length) {
        pointBounds = L.latLngBounds(
          markers.map(function (m) {
            return m.getLatLng();
          })
        );
      }
      updateStatus();
    } else {
      setStatus("设施数据未能加载。");
      showError(points.error.message || "设施数据加载失败。");
    }

    var hasOutlines = outlineLayer && outlineLayer.getLayers().length > 0;
    if (pointBounds && (focusIsBelowCounty() || !hasOutlines)) {
      homeBounds = pointBounds;
    } else if (hasOutlines) {
      homeBounds = outlineLayer.getBounds();
    }
    fitHome();

    if (!outlines.ok && !points.ok) {
      showMapMessage("地图数据未能加载，请刷新页面重试。");
    } else if (points.ok && totalShown === 0) {
      showMapMessage("没有符合条件且登记了坐标的设施。");
    }
    container.classList.add("is-ready");
    container.dataset.state = outlines.ok && points.ok ? "ready" : "error";
  }).catch(function (error) {
    if (window.console) {
      window.console.error(error);
    }
    setStatus("地图未能显示。");
    showError("地图显示出错，请刷新页面重试；如仍出错，请联系系统管理员。");
    showMapMessage("地图显示出错");
    container.classList.add("is-ready");
    container.dataset.state = "error";
  });
})();
