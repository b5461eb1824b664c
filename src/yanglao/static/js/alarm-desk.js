/* 告警台: the live board. An EventSource on the desk feed (alarms/stream.py) inserts, updates and
 * removes cards without a reload, most urgent first (priority, then age); a new emergency plays a
 * short tone (WebAudio) and an escalation a distinct, longer one with a banner. Ages tick every
 * second and turn red once an open alarm has waited 60 s. The work panel's small map (Leaflet, no
 * internet tiles: the county outline from the API and markers) is drawn whenever a panel appears.
 *
 * window.alarmDesk exposes counters (beeps, escalations, events) for the browser tests.
 */
(function () {
  "use strict";

  var desk = (window.alarmDesk = { beeps: 0, escalations: 0, events: 0, mode: "" });
  var cards = document.getElementById("desk-cards");
  var ACK_LIMIT_S = 60;

  // --- sound ----------------------------------------------------------------------------------
  var audio = null;
  var soundButton = document.getElementById("desk-sound");
  var SOUND_KEY = "yanglao.desk.sound";

  function soundWanted() {
    try {
      return window.localStorage.getItem(SOUND_KEY) !== "off";
    } catch (e) {
      return true;
    }
  }

  function ensureAudio() {
    if (!soundWanted()) {
      return null;
    }
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) {
      return null;
    }
    if (!audio) {
      audio = new Context();
    }
    if (audio.state === "suspended") {
      audio.resume();
    }
    return audio;
  }

  function showSoundState() {
    if (!soundButton) {
      return;
    }
    var on = soundWanted() && audio && audio.state === "running";
    soundButton.setAttribute("aria-pressed", on ? "true" : "false");
    soundButton.textContent = on ? "提示音已开启" : soundWanted() ? "点击开启提示音" : "提示音已关闭";
  }

  function tone(context, at, frequency, length) {
    var osc = context.createOscillator();
    var gain = context.createGain();
    osc.type = "square";
    osc.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + length);
    osc.connect(gain).connect(context.destination);
    osc.start(at);
    osc.stop(at + length + 0.02);
  }

  function beep(kind) {
    desk.beeps += 1;
    var context = soundWanted() ? audio : null;
    if (!context || context.state !== "running") {
      return;
    }
    var t = context.currentTime + 0.01;
    var pattern = kind === "escalation" ? [880, 587, 880, 587, 880, 587] : [988, 0, 988];
    pattern.forEach(function (frequency, i) {
      if (frequency) {
        tone(context, t + i * 0.2, frequency, 0.16);
      }
    });
  }

  if (soundButton) {
    soundButton.addEventListener("click", function () {
      var on = soundWanted() && audio && audio.state === "running";
      try {
        window.localStorage.setItem(SOUND_KEY, on ? "off" : "on");
      } catch (e) {
        /* private mode: the choice lasts for this page */
      }
      if (!on) {
        ensureAudio();
        beep("test");
        desk.beeps -= 1;
      }
      window.setTimeout(showSoundState, 50);
    });
    // Browsers start audio only after a gesture: the first click or key anywhere enables it.
    ["click", "keydown"].forEach(function (type) {
      document.addEventListener(
        type,
        function () {
          ensureAudio();
          window.setTimeout(showSoundState, 50);
        },
        { once: true }
      );
    });
    showSoundState();
  }

  // --- cards ----------------------------------------------------------------------------------
  function sortKey(el) {
    return [Number(el.dataset.priority), Date.parse(el.dataset.opened), Number(el.dataset.id)];
  }

  function before(a, b) {
    var ka = sortKey(a);
    var kb = sortKey(b);
    for (var i = 0; i < ka.length; i++) {
      if (ka[i] !== kb[i]) {
        return ka[i] < kb[i];
      }
    }
    return false;
  }

  function place(el) {
    var siblings = cards.querySelectorAll(".alarm-card");
    for (var i = 0; i < siblings.length; i++) {
      if (siblings[i] !== el && before(el, siblings[i])) {
        cards.insertBefore(el, siblings[i]);
        return;
      }
    }
    cards.appendChild(el);
  }

  function fromHtml(html) {
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    return holder.firstElementChild;
  }

  function refreshCounts() {
    var all = cards.querySelectorAll(".alarm-card");
    var counts = { open: 0, acknowledged: 0, escalated: 0 };
    all.forEach(function (el) {
      counts[el.dataset.state] = (counts[el.dataset.state] || 0) + 1;
      if (Number(el.dataset.escalation) > 0) {
        counts.escalated += 1;
      }
    });
    Object.keys(counts).forEach(function (key) {
      var target = document.getElementById("desk-count-" + key);
      if (target) {
        target.textContent = counts[key];
      }
    });
    var empty = document.getElementById("desk-empty");
    if (empty) {
      empty.hidden = all.length > 0;
    }
    markSelected();
    tick();
  }

  function escalationBanner(el) {
    var banner = document.getElementById("desk-escalation");
    if (!banner) {
      return;
    }
    var who = el.querySelector(".alarm-elder");
    var cause = el.querySelector(".alarm-cause");
    var level = Number(el.dataset.escalation);
    banner.textContent =
      "告警升级：" +
      (cause ? cause.textContent : "") +
      (who ? " · " + who.textContent : "") +
      (level === 1 ? " · 60 秒无人受理" : " · 30 分钟未结案") +
      "，请值班主管立即处理。";
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn";
    close.textContent = "知道了";
    close.addEventListener("click", function () {
      banner.hidden = true;
    });
    banner.appendChild(close);
    banner.hidden = false;
  }

  function upsert(data) {
    var el = fromHtml(data.html);
    if (!el) {
      return;
    }
    var existing = document.getElementById(el.id);
    var isNew = !existing;
    var wasLevel = existing ? Number(existing.dataset.escalation) : 0;
    if (existing) {
      existing.remove();
    }
    place(el);
    if (window.htmx) {
      window.htmx.process(el);
    }
    if (data.initial) {
      return;
    }
    if (isNew) {
      el.classList.add("is-new");
      if (data.kind === "emergency") {
        ensureAudio();
        beep("new");
      }
    }
    if (Number(data.escalation_level) > wasLevel) {
      desk.escalations += 1;
      ensureAudio();
      beep("escalation");
      escalationBanner(el);
    }
    refreshPanelIf(data.id, data.state);
  }

  function remove(id) {
    var el = document.getElementById("alarm-card-" + id);
    if (el) {
      el.classList.add("is-leaving");
      window.setTimeout(function () {
        el.remove();
        refreshCounts();
      }, 300);
    }
    refreshPanelIf(id, "resolved");
  }

  // --- the panel ------------------------------------------------------------------------------
  function panel() {
    return document.getElementById("alarm-panel");
  }

  function refreshPanelIf(id, state) {
    var p = panel();
    if (!p || !p.dataset.id || Number(p.dataset.id) !== Number(id) || !window.htmx) {
      return;
    }
    if (p.dataset.state === state) {
      return;
    }
    // Someone else changed the alarm being worked on: reload the panel unless a form is being typed in.
    if (p.contains(document.activeElement) && document.activeElement.matches("input, textarea, select")) {
      return;
    }
    window.htmx.ajax("GET", p.dataset.panelUrl, { target: "#alarm-panel", swap: "outerHTML" });
  }

  function markSelected() {
    var p = panel();
    var id = p && p.dataset.id;
    document.querySelectorAll(".alarm-card").forEach(function (el) {
      el.classList.toggle("is-selected", el.dataset.id === id);
    });
  }

  // --- ages -----------------------------------------------------------------------------------
  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".alarm-card").forEach(function (el) {
      var age = el.querySelector(".alarm-age");
      if (!age) {
        return;
      }
      var seconds = Math.max(0, Math.floor((now - Date.parse(el.dataset.opened)) / 1000));
      var h = Math.floor(seconds / 3600);
      var m = Math.floor((seconds % 3600) / 60);
      var s = seconds % 60;
      age.textContent = (h ? h + ":" + pad(m) : m) + ":" + pad(s);
      var calls = el.dataset.kind === "emergency" || el.dataset.kind === "urgent";
      age.classList.toggle("is-late", calls && el.dataset.state === "open" && seconds >= ACK_LIMIT_S);
    });
  }

  // --- the map --------------------------------------------------------------------------------
  var outlines = {};

  function drawMaps(root) {
    if (!window.L) {
      return;
    }
    (root || document).querySelectorAll(".alarm-map:not([data-drawn])").forEach(function (box) {
      box.dataset.drawn = "1";
      var lat = Number(box.dataset.lat);
      var lng = Number(box.dataset.lng);
      var map = L.map(box, { zoomControl: true, attributionControl: false }).setView([lat, lng], 13);
      L.control.scale({ imperial: false }).addTo(map);
      var bounds = L.latLngBounds([[lat, lng]]);
      var points = [];
      var script = document.getElementById(box.dataset.points);
      try {
        points = script ? JSON.parse(script.textContent) : [];
      } catch (e) {
        points = [];
      }
      points.forEach(function (p) {
        L.circleMarker([p.lat, p.lng], { radius: 6, color: "#1f6f8b", fillOpacity: 0.8 })
          .bindTooltip(p.name + "（" + (p.metres >= 1000 ? (p.metres / 1000).toFixed(1) + " 公里" : p.metres + " 米") + "）")
          .addTo(map);
        bounds.extend([p.lat, p.lng]);
      });
      L.circleMarker([lat, lng], { radius: 9, color: "#c0392b", fillColor: "#c0392b", fillOpacity: 0.9 })
        .bindTooltip(box.dataset.label, { permanent: true, direction: "top" })
        .addTo(map);
      if (points.length) {
        map.fitBounds(bounds.pad(0.3), { maxZoom: 14 });
      }
      var county = box.dataset.county;
      if (county && box.dataset.outlinesUrl) {
        var load = outlines[county] || (outlines[county] = fetch(box.dataset.outlinesUrl.replace("CODE", county), {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        }).then(function (r) {
          return r.ok ? r.json() : null;
        }));
        load.then(function (geo) {
          if (geo && geo.features && geo.features.length) {
            L.geoJSON(geo, { style: { color: "#8a94a0", weight: 2, fillColor: "#ffffff", fillOpacity: 0.9 } })
              .addTo(map)
              .bringToBack();
          }
        }).catch(function () {
          /* the outline is decoration; the markers are what matter */
        });
      }
    });
  }

  document.body.addEventListener("htmx:afterSettle", function (event) {
    drawMaps(event.target);
    markSelected();
  });
  drawMaps(document);

  // --- the feed -------------------------------------------------------------------------------
  var modeLine = document.getElementById("desk-mode");

  function setMode(mode, message) {
    desk.mode = mode;
    if (!modeLine) {
      return;
    }
    modeLine.className = "desk-mode is-" + mode;
    modeLine.textContent = message;
  }

  function connect() {
    if (!cards || !window.EventSource) {
      if (cards) {
        setMode("lost", "浏览器不支持实时推送，请手动刷新页面");
      }
      return;
    }
    var source = new EventSource(cards.dataset.streamUrl);
    function handle(type, fn) {
      source.addEventListener(type, function (event) {
        desk.events += 1;
        var data;
        try {
          data = JSON.parse(event.data);
        } catch (e) {
          return;
        }
        fn(data);
      });
    }
    handle("mode", function (data) {
      setMode(data.mode, data.message);
    });
    handle("alarm", function (data) {
      upsert(data);
      refreshCounts();
    });
    handle("removed", function (data) {
      remove(data.id);
    });
    handle("snapshot", function (data) {
      var keep = {};
      data.ids.forEach(function (id) {
        keep[id] = true;
      });
      cards.querySelectorAll(".alarm-card").forEach(function (el) {
        if (!keep[el.dataset.id]) {
          el.remove();
        }
      });
      refreshCounts();
    });
    source.onerror = function () {
      // EventSource reconnects by itself (after the server's retry interval); say so meanwhile.
      setMode("lost", "实时推送已断开，正在重新连接……");
    };
  }

  if (cards) {
    refreshCounts();
    window.setInterval(tick, 1000);
    connect();
  }
})();
