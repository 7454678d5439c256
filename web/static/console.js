// Live updates without a page reload and without a script library: any element with
// data-poll="URL" has its contents replaced by that server-rendered fragment every
// data-every seconds. Rows not seen before flash briefly so a new post catches the eye.
(function () {
  "use strict";

  function poll(el) {
    var every = Math.max(2, parseInt(el.dataset.every || "15", 10)) * 1000;
    var known = new Set(Array.from(el.querySelectorAll("[data-id]")).map(function (r) {
      return r.dataset.id;
    }));
    function tick() {
      if (document.hidden) { return setTimeout(tick, every); }
      fetch(el.dataset.poll, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (resp) {
          if (resp.status === 401) { window.location.reload(); throw new Error("logged out"); }
          if (!resp.ok) { throw new Error("HTTP " + resp.status); }
          return resp.text();
        })
        .then(function (html) {
          el.innerHTML = html;
          el.querySelectorAll("[data-id]").forEach(function (r) {
            if (!known.has(r.dataset.id)) { r.classList.add("fresh"); known.add(r.dataset.id); }
          });
          var meta = el.querySelector("[data-total]");
          var out = document.querySelector("[data-total-out]");
          if (meta && out) { out.textContent = meta.dataset.total; }
          var stamp = document.querySelector("[data-updated]");
          if (stamp) { stamp.textContent = "更新于 " + new Date().toLocaleTimeString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false }); }
        })
        .catch(function () { /* the next tick tries again */ })
        .finally(function () { setTimeout(tick, every); });
    }
    setTimeout(tick, every);
  }

  function clock(el) {
    // The duty-room clock shows Beijing time whatever the screen's own time zone is.
    var fmt = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", year: "numeric",
      month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false });
    setInterval(function () { el.textContent = fmt.format(new Date()).replace(/\//g, "-"); }, 10000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-poll]").forEach(poll);
    document.querySelectorAll("[data-clock]").forEach(clock);
  });
})();
