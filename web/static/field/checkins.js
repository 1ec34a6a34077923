// The captain checks volunteers in and out at an activity: scan the card (the
// shared scanner.js writes the code into #checkin-code and submits) or type its
// short code; the record goes into the outbox with the activity and the code.
// The card's signature is checked by the server at the time of the scan.
(function () {
  "use strict";

  var UI = window.FieldUI;
  var pulled = null;
  var correcting = null;
  var loaded = null;

  function byId(id) { return document.getElementById(id); }

  // As people type it: full-width digits and dashes to ASCII, no spaces.
  function normalise(code) {
    return (code || "").normalize("NFKC").replace(/[\u2010\u2212\u2014]/g, "-").replace(/\s+/g, "");
  }

  function base64url(text) {
    var plain = text.replace(/-/g, "+").replace(/_/g, "/");
    while (plain.length % 4) plain += "=";
    var raw = atob(plain);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  // The volunteer number a card code names (server/cards/tokens.py's layout), or
  // null when it is no card code at all. Not a check: the signature is the server's.
  function volunteerNumber(code) {
    var short = /^([0-9A-Za-z]{1,20})-([0-9]{6})$/.exec(code);
    if (short) return short[1];
    if (!/^[A-Za-z0-9_-]{60,}$/.test(code)) return null;
    var bytes;
    try {
      bytes = base64url(code);
    } catch (error) {
      return null;
    }
    var payload = bytes.slice(0, bytes.length - 64);
    if (payload.length < 8 || payload[0] !== 1) return null;
    var offset = payload[1] === 1 ? 6 : payload[1] === 2 ? 10 : -1;
    if (offset < 0 || offset >= payload.length) return null;
    var number = payload.slice(offset + 1);
    if (number.length !== payload[offset]) return null;
    return String.fromCharCode.apply(null, number);
  }

  function activityLabel(a) {
    var starts = new Date(a.starts_at);
    return a.title + " · " + UI.when(starts.getTime());
  }

  function fillActivities(wanted) {
    var select = byId("checkin-activity");
    select.replaceChildren();
    var blank = document.createElement("option");
    blank.value = "";
    blank.textContent = "—";
    select.appendChild(blank);
    var now = Date.now();
    var running = null;
    pulled.activities.forEach(function (a) {
      var el = document.createElement("option");
      el.value = String(a.id);
      el.textContent = activityLabel(a);
      select.appendChild(el);
      if (new Date(a.starts_at) <= now && now <= new Date(a.ends_at)) running = running || a;
    });
    if (wanted) select.value = String(wanted);
    else if (running) select.value = String(running.id);
  }

  function nameOf(number) {
    var found = pulled.volunteers.filter(function (v) { return v.volunteer_no === number; })[0];
    return found ? found.display_name + " (" + number + ")" : number;
  }

  function fieldError(inputId, errorId, text) {
    byId(inputId).setAttribute("aria-invalid", text ? "true" : "false");
    UI.show(errorId, text || "");
    return Boolean(text);
  }

  async function save(event) {
    event.preventDefault();
    await loaded;
    var form = event.target;
    var activityId = Number(form.activity_id.value);
    var code = normalise(form.code.value);
    var number = code ? volunteerNumber(code) : null;
    var bad = fieldError("checkin-activity", "checkin-activity-error", activityId ? "" : UI.t("need_activity"));
    bad = fieldError("checkin-code", "checkin-code-error",
      !code ? UI.t("need_code") : number ? "" : UI.t("bad_card_code")) || bad;
    if (bad) return;
    var op = form.kind.value === "out" ? "out" : "in";
    var activity = pulled.activities.filter(function (a) { return a.id === activityId; })[0];
    var summary = {
      activity: activity ? activity.title : String(activityId),
      volunteer: nameOf(number),
      via: "card",
    };
    await window.FieldStore.add("checkin", op, { activity_id: activityId, card_token: code }, summary);
    if (correcting) {
      await window.FieldStore.discard(correcting.id);
      correcting = null;
    }
    var what = UI.t(op === "in" ? "kind_in" : "kind_out") + ": " + summary.volunteer;
    UI.show("checkin-saved", UI.t("checkin_saved", { what: what }));
    var item = document.createElement("li");
    item.textContent = what;
    byId("checkin-recent").prepend(item);
    form.code.value = "";
    var scanner = byId("checkin-scanner");
    if (scanner.dataset.decoded) byId("checkin-scan-again").hidden = false;
    await UI.saved();
  }

  // scanner.js stops the camera after one code; the page opens again (from the
  // phone's cache when there is no signal) with the activity and kind kept.
  function scanAgain() {
    var form = byId("checkin-form");
    var query = new URLSearchParams({ activity: form.activity_id.value, kind: form.kind.value });
    location.replace(location.pathname + "?" + query.toString());
  }

  async function load() {
    await UI.ready();
    pulled = (await window.FieldStore.getMeta("pulled")) || { activities: [], volunteers: [] };
    if (!pulled.activities.length) UI.show("checkin-no-data", UI.t("data_none"));
    var query = new URLSearchParams(location.search);
    fillActivities(query.get("activity"));
    if (query.get("kind") === "out") byId("checkin-kind-out").checked = true;
    var wanted = query.get("correct");
    if (wanted) {
      var record = await window.FieldStore.get(wanted);
      if (record && record.status === "refused" && record.payload.card_token) {
        correcting = record;
        fillActivities(record.payload.activity_id);
        byId(record.op === "out" ? "checkin-kind-out" : "checkin-kind-in").checked = true;
        byId("checkin-code").value = record.payload.card_token;
      }
    }
    byId("checkin-form").dataset.ready = "yes";
    document.addEventListener("field:changed", refill);
  }

  // The first visit with signal: the data arrives after the page was drawn.
  async function refill() {
    if (pulled.activities.length) return;
    var fresh = await window.FieldStore.getMeta("pulled");
    if (!fresh || !fresh.activities.length) return;
    pulled = fresh;
    UI.show("checkin-no-data", "");
    fillActivities(null);
  }

  function start() {
    // Listening at once: the scanner may submit before the data is read.
    byId("checkin-form").addEventListener("submit", save);
    byId("checkin-scan-again").addEventListener("click", scanAgain);
    loaded = load();
  }

  window.FieldCards = { volunteerNumber: volunteerNumber, normalise: normalise };
  document.addEventListener("DOMContentLoaded", start);
})();
