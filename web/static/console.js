// Live updates without a page reload and without a script library: any element with
// data-poll="URL" has its contents replaced by that server-rendered fragment every
// data-every seconds. Rows not seen before flash briefly so a new post catches the eye.
// A refresh that fails must not look like "nothing new": the rows stay, greyed, under a
// banner that says why and since when, until a refresh succeeds again.
(function () {
  "use strict";

  var HHMM = { timeZone: "Asia/Shanghai", hour12: false, hour: "2-digit", minute: "2-digit" };
  var behind = new Map();  // polled element -> {why, since, shown}

  function hhmm(t) { return t.toLocaleTimeString("zh-CN", HHMM); }
  function seconds(el) { return Math.max(2, parseInt(el.dataset.every || "15", 10)) * 1000; }

  function showBehind() {
    var box = document.querySelector("[data-stale-banner]");
    if (!box) { return; }
    var s = behind.values().next().value;
    box.hidden = !s;
    box.textContent = s ? "⚠ 数据未更新：" + s.why + "，自 " + hhmm(s.since) + " 起；显示的是 " +
      hhmm(s.shown) + " 的数据。正在自动重试。" : "";
  }

  // A server (or its cluster) that takes the connection and never answers would otherwise
  // keep the fetch, and so the table, silent for minutes.
  function get(url, limit) {
    var ctl = new AbortController();
    var timer = setTimeout(function () { ctl.abort(); }, limit);
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" },
                        signal: ctl.signal })
      .finally(function () { clearTimeout(timer); });
  }

  function failure(resp) {
    var err = new Error("HTTP " + resp.status);
    err.why = "控制台服务器应答异常（HTTP " + resp.status + "）";
    if (resp.status !== 503) { return Promise.reject(err); }
    return resp.json().catch(function () { return {}; }).then(function (body) {
      if (body && body.unavailable === "elasticsearch") {
        err.why = body.timeout ? "检索库 Elasticsearch 无应答（超时）" : "检索库 Elasticsearch 不可达";
      }
      throw err;
    });
  }

  function poll(el) {
    var every = seconds(el), limit = Math.max(2 * every, 10000), shown = new Date();
    var known = new Set(Array.from(el.querySelectorAll("[data-id]")).map(function (r) {
      return r.dataset.id;
    }));
    function fail(err) {
      if (err && err.quiet) { return; }
      var why = err && err.why ? err.why : err && err.name === "AbortError"
        ? "控制台服务器 " + Math.round(limit / 1000) + " 秒无应答" : "无法连接控制台服务器";
      var s = behind.get(el);
      behind.set(el, { why: why, since: s ? s.since : new Date(), shown: shown });
      el.classList.add("stale");
      showBehind();
    }
    function tick() {
      if (document.hidden) { return setTimeout(tick, every); }
      get(el.dataset.poll, limit)
        .then(function (resp) {
          if (resp.status === 401) {
            window.location.reload();  // into the login page
            var out = new Error("logged out"); out.quiet = true; throw out;
          }
          if (!resp.ok) { return failure(resp); }
          return resp.text();
        })
        .then(function (html) {
          el.innerHTML = html;
          shown = new Date();
          behind.delete(el);
          el.classList.remove("stale");
          showBehind();
          el.querySelectorAll("[data-id]").forEach(function (r) {
            if (!known.has(r.dataset.id)) { r.classList.add("fresh"); known.add(r.dataset.id); }
          });
          var meta = el.querySelector("[data-total]");
          var out = document.querySelector("[data-total-out]");
          if (meta && out) { out.textContent = meta.dataset.total; }
          var stamp = document.querySelector("[data-updated]");
          if (stamp) { stamp.textContent = "更新于 " + shown.toLocaleTimeString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false }); }
        })
        .catch(fail)
        .finally(function () { setTimeout(tick, every); });
    }
    setTimeout(tick, every);
  }

  // Every data-every seconds, asks url and loads the page again once stale(resp) resolves
  // true; a check that fails is left to the next one.
  function reloadWhen(el, url, stale) {
    var every = seconds(el);
    function tick() {
      get(url, Math.max(2 * every, 10000))
        .then(stale)
        .then(function (yes) { if (yes) { window.location.reload(); } else { setTimeout(tick, every); } })
        .catch(function () { setTimeout(tick, every); });
    }
    setTimeout(tick, every);
  }

  function retry(el) {
    // A page that could not read the cluster when it was loaded has nothing to refresh in
    // place: it asks data-retry until the cluster answers, then loads itself again.
    reloadWhen(el, el.dataset.retry, function (resp) { return resp.ok || resp.status === 401; });
  }

  function restamp(el) {
    // The parts of a page outside its live tables (who is on shift, the watch level,
    // escalations) are rendered once: when the server's stamp for them differs from the
    // page's, the page loads itself again.
    reloadWhen(el, el.dataset.stampUrl, function (resp) {
      if (!resp.ok) { return false; }
      return resp.json().then(function (body) {
        return Boolean(body && body.stamp && body.stamp !== el.dataset.stamp);
      });
    });
  }

  function clock(el) {
    // The duty-room clock shows Beijing time whatever the screen's own time zone is.
    var fmt = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", year: "numeric",
      month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false });
    setInterval(function () { el.textContent = fmt.format(new Date()).replace(/\//g, "-"); }, 10000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-poll]").forEach(poll);
    document.querySelectorAll("[data-retry]").forEach(retry);
    document.querySelectorAll("[data-stamp-url]").forEach(restamp);
    document.querySelectorAll("[data-clock]").forEach(clock);
  });
})();
