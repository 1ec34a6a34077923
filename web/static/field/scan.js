// The volunteer's check-in when there may be no signal. A scanned activity code
// goes on to the online check-in page (`/checkin?c=`) when the phone is online;
// offline it is saved in the outbox as a `checkin` with `activity_code`, with the
// moment of the scan as its time (the server checks the code at that moment).
// This page is also what the service worker shows for `/checkin?c=…` when that
// link, opened by the phone's camera, cannot reach the server.
(function () {
  "use strict";

  var UI = window.FieldUI;
  var TOKEN = /^([0-9]{1,12})\.([0-9]{1,12})\.([A-Za-z0-9_-]{22})$/;
  var scanned = null;

  function byId(id) { return document.getElementById(id); }

  // The token inside what was read: the check-in link or the bare token.
  function tokenFrom(text) {
    var raw = (text || "").trim();
    if (raw.indexOf("?") >= 0 || raw.indexOf("/") >= 0) {
      try {
        raw = new URL(raw, location.href).searchParams.get("c") || "";
      } catch (error) {
        return null;
      }
    }
    return TOKEN.test(raw.trim()) ? raw.trim() : null;
  }

  async function activityTitle(activityId) {
    var pulled = await window.FieldStore.getMeta("pulled");
    var found = pulled && pulled.activities.filter(function (a) { return a.id === activityId; })[0];
    return found ? found.title : UI.t("activity_unknown", { n: activityId });
  }

  // The button that fits: check-out when this phone's last record here was a check-in.
  async function suggest(activityId) {
    var records = (await window.FieldStore.outbox()).concat(await window.FieldStore.sent());
    var mine = records
      .filter(function (r) { return r.kind === "checkin" && r.summary && r.summary.activity_id === activityId; })
      .sort(function (a, b) { return b.seq - a.seq; })[0];
    var out = Boolean(mine && mine.op === "in");
    byId("scan-out").className = out ? "primary" : "";
    byId("scan-in").className = out ? "" : "primary";
  }

  async function offer(token) {
    var activityId = Number(TOKEN.exec(token)[1]);
    scanned = { token: token, activityId: activityId, at: new Date(), title: await activityTitle(activityId) };
    byId("scan-activity").textContent = scanned.title;
    byId("scan-offline").hidden = false;
    UI.show("scan-saved", "");
    await suggest(activityId);
  }

  async function handle(text, forceOffline) {
    var token = tokenFrom(text);
    byId("scan-code").setAttribute("aria-invalid", token ? "false" : "true");
    UI.show("scan-code-error", token ? "" : UI.t("not_activity_code"));
    if (!token) return;
    if (navigator.onLine && !forceOffline) {
      location.assign(UI.config().urls.checkin + "?" + new URLSearchParams({ c: token }).toString());
      return;
    }
    await offer(token);
  }

  async function save(op) {
    if (!scanned) return;
    var summary = { activity: scanned.title, activity_id: scanned.activityId, via: "code" };
    await window.FieldStore.add("checkin", op, { activity_code: scanned.token }, summary, scanned.at);
    byId("scan-offline").hidden = true;
    var what = UI.t(op === "in" ? "kind_in" : "kind_out") + ": " + scanned.title;
    UI.show("scan-saved", UI.t("checkin_saved", { what: what }));
    scanned = null;
    await UI.saved();
  }

  function start() {
    var scanner = byId("scan-scanner");
    scanner.addEventListener("scanned", function (event) { handle(event.detail, false); });
    byId("scan-form").addEventListener("submit", function (event) {
      event.preventDefault();
      handle(byId("scan-code").value, false);
    });
    byId("scan-in").addEventListener("click", function () { save("in"); });
    byId("scan-out").addEventListener("click", function () { save("out"); });
    UI.ready().then(function () {
      var code = new URLSearchParams(location.search).get("c");
      // Shown in place of /checkin: the server could not be reached.
      if (code && location.pathname !== UI.config().urls.field_scan) handle(code, true);
      else if (code) handle(code, false);
      byId("scan-form").dataset.ready = "yes";
    });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
