// What every offline page does: read its config, register the service worker,
// claim the phone's data for this login, keep the waiting count in view, and
// sync on load, when the network returns and on the button.
(function () {
  "use strict";

  var config = null;
  var foreign = 0;
  var ready = null;
  var readyResolve = null;
  ready = new Promise(function (resolve) { readyResolve = resolve; });

  function t(key, values) {
    var text = (config && config.texts[key]) || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(String(values[name]));
    });
    return text;
  }

  function byId(id) { return document.getElementById(id); }

  function show(id, text) {
    var el = byId(id);
    if (!el) return;
    if (text === undefined || text === null || text === "") {
      el.hidden = true;
      el.textContent = "";
    } else {
      el.hidden = false;
      el.textContent = text;
    }
  }

  function when(ms) {
    if (!ms) return t("never");
    return new Date(ms).toLocaleString(config.lang, {
      month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit",
    });
  }

  // "3 hours ago", in the page's language, from the browser's own words.
  function age(ms) {
    var seconds = Math.round((ms - Date.now()) / 1000);
    var format = new Intl.RelativeTimeFormat(config.lang, { numeric: "auto" });
    var units = [["day", 86400], ["hour", 3600], ["minute", 60]];
    for (var i = 0; i < units.length; i++) {
      if (Math.abs(seconds) >= units[i][1]) return format.format(Math.round(seconds / units[i][1]), units[i][0]);
    }
    return format.format(0, "minute");
  }

  async function refresh() {
    var counts = await window.FieldStore.counts();
    var waiting = byId("field-waiting-count");
    if (waiting) {
      waiting.textContent = String(counts.waiting);
      waiting.dataset.count = String(counts.waiting);
    }
    var refused = byId("field-refused-count");
    if (refused) refused.textContent = String(counts.refused);
    if (byId("field-refused")) byId("field-refused").hidden = counts.refused === 0;
    var last = await window.FieldStore.getMeta("last_sync");
    if (byId("field-last-sync")) byId("field-last-sync").textContent = when(last);
    var clock = await window.FieldStore.getMeta("clock");
    var minutes = clock && clock.flagged ? Math.round(Math.abs(clock.offset) / 60) : 0;
    show("field-clock-warning", minutes ? t("clock_off", { n: minutes }) : "");
    show("field-owner-warning", foreign ? t("other_owner", { n: foreign }) : "");
    network();
    document.dispatchEvent(new CustomEvent("field:changed"));
  }

  function network() {
    var el = byId("field-network");
    if (!el) return;
    el.dataset.online = navigator.onLine ? "yes" : "no";
    el.textContent = navigator.onLine ? t("online") : t("offline");
  }

  function say(result) {
    var text = "";
    if (result.state === "done") {
      var tally = result.tally;
      var answered = tally.accepted + tally.conflict;
      text = answered ? t("sync_done", { n: answered }) : t("sync_nothing");
      if (tally.refused) text += " " + t("sync_refused", { n: tally.refused });
    } else if (result.state === "offline") {
      text = t("sync_offline");
    } else if (result.state === "busy") {
      text = t("sync_busy");
    } else if (result.state === "failed") {
      text = t("sync_failed");
    } else if (result.state === "login") {
      text = t("sync_login");
    } else {
      var error = result.error || {};
      text = t("sync_error", { what: error.message || error.error || "" });
    }
    var status = byId("field-sync-status");
    if (status) {
      status.textContent = text;
      status.dataset.state = result.state;
    }
  }

  async function syncOnce() {
    var status = byId("field-sync-status");
    if (status && navigator.onLine) {
      status.textContent = t("sync_running");
      status.dataset.state = "running";
    }
    var button = byId("field-sync-button");
    if (button) button.disabled = true;
    var result;
    try {
      result = await window.FieldSync.run(config);
    } catch (error) {
      result = { state: "failed", error: { error: String(error) } };
    } finally {
      if (button) button.disabled = Boolean(foreign);
    }
    say(result);
    await refresh();
    return result;
  }

  // A sync asked for while one runs (a record saved meanwhile) runs right after
  // it, so nothing saved waits for the next trigger; one run at a time here, and
  // the lock in sync.js keeps other tabs out.
  var running = null;
  var again = false;

  async function sync() {
    await ready;
    if (foreign) return { state: "error", error: { error: "foreign" } };
    if (running) {
      again = true;
      return running;
    }
    running = (async function () {
      var result;
      do {
        again = false;
        result = await syncOnce();
      } while (again && result.state === "done");
      return result;
    })();
    try {
      return await running;
    } finally {
      running = null;
    }
  }

  // A page saved a record: show it counted, and send it if there is signal.
  async function saved() {
    await refresh();
    if (navigator.onLine) sync();
  }

  function registerWorker() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.register(config.urls.service_worker, { scope: "/" }).catch(function () {});
  }

  function persist() {
    if (navigator.storage && navigator.storage.persist) {
      navigator.storage.persisted().then(function (already) {
        if (!already) return navigator.storage.persist();
      }).catch(function () {});
    }
  }

  function fieldPages() {
    var urls = config.urls;
    var pages = [urls.field_home, urls.field_scan, urls.field_outbox, urls.field_card];
    if (config.is_captain) pages.push(urls.field_visit_new, urls.field_checkins);
    return pages;
  }

  // Keep this version's pages on the phone. The service worker keeps them when
  // it installs; after a logout (which wipes them) and a new login it is already
  // installed, so the page fetches the missing ones itself, of its own version only.
  async function keepPages(cache) {
    var pages = fieldPages();
    var found = await Promise.all(pages.map(function (p) { return cache.match(p); }));
    await Promise.all(pages.map(async function (path, i) {
      if (found[i]) return;
      var response = await fetch(path, { credentials: "same-origin", cache: "no-store" });
      if (response.ok && !response.redirected && response.headers.get("X-Field-Version") === config.version) {
        await cache.put(path, response);
      }
    }));
    var kept = await Promise.all(pages.map(function (p) { return cache.match(p); }));
    return kept.every(Boolean);
  }

  // On the field home: say when this version's pages are all kept on the phone.
  async function offlineReady() {
    if (!("serviceWorker" in navigator) || !window.caches || !navigator.onLine) return;
    await navigator.serviceWorker.ready;
    var cache = await caches.open("field-pages-" + config.version);
    var ready = await keepPages(cache).catch(function () { return false; });
    var el = byId("field-offline-ready");
    if (el && ready) {
      el.dataset.ready = "yes";
      el.textContent = t("offline_ready");
      el.className = "ok";
    }
  }

  async function dataSummary() {
    var el = byId("field-data-summary");
    if (!el) return;
    var pulled = await window.FieldStore.getMeta("pulled");
    el.textContent = pulled ? t("data_from", { what: when(pulled.pulled_at) }) : t("data_none");
  }

  async function start() {
    config = JSON.parse(byId("field-config").textContent);
    registerWorker();
    persist();
    var claim = await window.FieldStore.claim(config.user_id);
    foreign = claim.foreign;
    readyResolve();
    await refresh();
    if (byId("field-sync-button")) {
      byId("field-sync-button").disabled = Boolean(foreign);
      byId("field-sync-button").addEventListener("click", sync);
    }
    window.addEventListener("online", function () { network(); sync(); });
    window.addEventListener("offline", network);
    document.addEventListener("field:changed", dataSummary);
    offlineReady();
    if (navigator.onLine) await sync();
    document.documentElement.dataset.fieldStarted = "yes";
  }

  window.FieldUI = {
    t: t,
    show: show,
    when: when,
    age: age,
    refresh: refresh,
    saved: saved,
    sync: sync,
    ready: function () { return ready; },
    config: function () { return config; },
  };

  document.addEventListener("DOMContentLoaded", function () {
    start().catch(function (error) {
      show("field-sync-status", String(error));
    });
  });
})();
