/* The caregiver's phone page: a form marked data-geo asks the browser for the position, fills
   lat / lng / accuracy, then submits. data-geo="required" (签到) stops with a message in Chinese
   when no position can be had; data-geo="optional" (签退) submits without one. */
(function () {
  "use strict";
  var REASONS = {
    1: "您拒绝了定位授权。请在浏览器设置中允许本网站使用位置信息后重试。",
    2: "暂时无法取得位置（信号弱或定位服务未开启），请到室外或打开手机定位后重试。",
    3: "定位超时，请重试。"
  };

  function status(form, text, isError) {
    var box = form.querySelector(".geo-status");
    if (!box) return;
    box.textContent = text;
    box.className = "geo-status" + (isError ? " error" : " muted");
  }

  function fill(form, name, value) {
    var input = form.querySelector('input[name="' + name + '"]');
    if (input) input.value = value;
  }

  function locate(event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-geo]") || form.dataset.located === "1") return;
    event.preventDefault();
    var required = form.dataset.geo === "required";
    var button = form.querySelector("button[type=submit]");
    var label = button ? button.textContent : "";
    function done() {
      form.dataset.located = "1";
      form.submit();
    }
    function fail(message) {
      if (button) { button.disabled = false; button.textContent = label; }
      if (required) { status(form, message, true); } else { done(); }
    }
    if (!("geolocation" in navigator)) {
      fail("此浏览器不支持定位，请换用手机自带浏览器。");
      return;
    }
    if (button) { button.disabled = true; button.textContent = "正在定位…"; }
    status(form, "正在取得位置…", false);
    navigator.geolocation.getCurrentPosition(function (position) {
      fill(form, "lat", position.coords.latitude.toFixed(6));
      fill(form, "lng", position.coords.longitude.toFixed(6));
      fill(form, "accuracy", Math.round(position.coords.accuracy || 0));
      done();
    }, function (error) {
      fail(REASONS[error.code] || "无法取得位置，请重试。");
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 0 });
  }

  document.addEventListener("submit", locate, true);
})();
