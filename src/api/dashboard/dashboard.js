// Keeps the dashboard current without reloading the page: the pipeline panel every few
// seconds (faster while a job runs) with the Stream section, the charts whenever the
// warehouse watermark moves.
// Same origin only; the page works without this script.
(function () {
  "use strict";
  var live = document.getElementById("live");
  var charts = document.getElementById("charts");
  var stream = document.getElementById("stream");
  var updated = document.getElementById("updated");
  if (!live || !window.fetch) { return; }
  function state() {
    var el = live.querySelector("[data-watermark]");
    return {
      watermark: el ? el.getAttribute("data-watermark") : "",
      running: el ? el.getAttribute("data-running") === "true" : false
    };
  }
  var seen = state().watermark;
  function get(url) {
    return fetch(url, { headers: { Accept: "text/html" }, cache: "no-store" }).then(function (r) {
      if (!r.ok) { throw new Error(url + " answered " + r.status); }
      return r.text();
    });
  }
  function schedule(ms) { window.setTimeout(tick, ms); }
  function tick() {
    if (document.hidden) { schedule(3000); return; }
    get(live.getAttribute("data-src")).then(function (html) {
      live.innerHTML = html;
      var now = state();
      var next = Promise.resolve();
      var streamSrc = stream && stream.getAttribute("data-src");
      if (streamSrc) {
        next = get(streamSrc).then(function (s) { stream.innerHTML = s; });
      }
      var src = charts && charts.getAttribute("data-src");
      if (src && now.watermark !== seen) {
        next = next.then(function () { return get(src); })
          .then(function (c) { charts.innerHTML = c; seen = now.watermark; });
      }
      return next.then(function () {
        if (updated) { updated.textContent = "Updated " + new Date().toLocaleTimeString() + (now.running ? " · jobs running, refreshing every 2 s" : " · refreshing every 10 s"); }
        schedule(now.running ? 2000 : 10000);
      });
    }).catch(function (e) {
      if (updated) { updated.textContent = "Cannot reach the service (" + e.message + "); retrying."; }
      schedule(10000);
    });
  }
  schedule(state().running ? 2000 : 5000);
})();
