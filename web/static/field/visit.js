// The home-visit form: filled from the pulled data, checked here, saved in the
// outbox with its photo (made at most 1280 px, JPEG, under the server's limit).
(function () {
  "use strict";

  var UI = window.FieldUI;
  var MAX_VISIT_MS = 12 * 3600 * 1000;
  var FUTURE_LEEWAY_MS = 5 * 60 * 1000;
  var pulled = null;
  var correcting = null;

  function byId(id) { return document.getElementById(id); }

  function option(value, label) {
    var el = document.createElement("option");
    el.value = String(value);
    el.textContent = label;
    return el;
  }

  function fillTeams() {
    var select = byId("visit-team");
    select.replaceChildren();
    pulled.teams.forEach(function (team) { select.appendChild(option(team.id, team.name)); });
    byId("visit-team-row").hidden = pulled.teams.length <= 1;
  }

  function fillRecipients() {
    var team = Number(byId("visit-team").value);
    var select = byId("visit-recipient");
    select.replaceChildren(option("", "—"));
    pulled.recipients
      .filter(function (r) { return r.team_id === team; })
      .forEach(function (r) { select.appendChild(option(r.id, r.display_name)); });
  }

  function fillVolunteers() {
    var list = byId("visit-volunteer-list");
    list.replaceChildren();
    pulled.volunteers.forEach(function (v) {
      var id = "visit-volunteer-" + v.volunteer_no;
      var label = document.createElement("label");
      var box = document.createElement("input");
      box.type = "checkbox";
      box.id = id;
      box.name = "volunteers";
      box.value = v.volunteer_no;
      label.htmlFor = id;
      label.append(box, " " + v.display_name + " (" + v.volunteer_no + ")");
      list.appendChild(label);
    });
  }

  function localInput(iso) {
    // An ISO time with offset, as the phone's local "YYYY-MM-DDTHH:MM".
    return window.FieldStore.isoWithOffset(new Date(iso)).slice(0, 16);
  }

  function prefill(record) {
    var p = record.payload;
    if (p.team_id) byId("visit-team").value = String(p.team_id);
    fillRecipients();
    byId("visit-recipient").value = String(p.recipient_id || "");
    (p.volunteers || []).forEach(function (no) {
      var box = byId("visit-volunteer-" + no);
      if (box) box.checked = true;
    });
    if (p.started_at) byId("visit-started-at").value = localInput(p.started_at);
    if (p.ended_at) byId("visit-ended-at").value = localInput(p.ended_at);
    byId("visit-service-type").value = p.service_type || "";
    byId("visit-notes").value = p.notes || "";
    UI.show("visit-correcting", UI.t("correcting") + " " + (record.message || ""));
  }

  function fieldError(inputId, errorId, text) {
    var input = byId(inputId);
    if (input) input.setAttribute("aria-invalid", text ? "true" : "false");
    UI.show(errorId, text || "");
    return text ? 1 : 0;
  }

  function check(form) {
    var started = form.started_at.value ? new Date(form.started_at.value) : null;
    var ended = form.ended_at.value ? new Date(form.ended_at.value) : null;
    var endProblem = "";
    if (!ended) endProblem = UI.t("need_ended");
    else if (started && ended <= started) endProblem = UI.t("end_before_start");
    else if (started && ended - started > MAX_VISIT_MS) endProblem = UI.t("too_long");
    else if (ended - Date.now() > FUTURE_LEEWAY_MS) endProblem = UI.t("in_future");
    var present = form.querySelectorAll("input[name=volunteers]:checked").length;
    var problems =
      fieldError("visit-recipient", "visit-recipient-error", form.recipient_id.value ? "" : UI.t("need_recipient")) +
      fieldError("visit-volunteers", "visit-volunteers-error", present ? "" : UI.t("need_volunteers")) +
      fieldError("visit-started-at", "visit-started-at-error", started ? "" : UI.t("need_started")) +
      fieldError("visit-ended-at", "visit-ended-at-error", endProblem) +
      fieldError("visit-service-type", "visit-service-type-error", form.service_type.value ? "" : UI.t("need_service"));
    return problems === 0 ? { started: started, ended: ended } : null;
  }

  function loadImage(file) {
    return new Promise(function (resolve, reject) {
      var img = new Image();
      var url = URL.createObjectURL(file);
      img.onload = function () { URL.revokeObjectURL(url); resolve(img); };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("image")); };
      img.src = url;
    });
  }

  function toBlob(canvas, quality) {
    return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", quality); });
  }

  function base64(blob) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () { resolve(String(reader.result).split(",")[1]); };
      reader.onerror = reject;
      reader.readAsDataURL(blob);
    });
  }

  // At most `maxSide` pixels a side and `maxBytes` bytes: lower quality first,
  // then fewer pixels.
  async function resizePhoto(file, maxSide, maxBytes) {
    var img = await loadImage(file);
    var side = Math.min(maxSide, Math.max(img.naturalWidth, img.naturalHeight));
    for (var shrink = 0; shrink < 4; shrink++) {
      var scale = side / Math.max(img.naturalWidth, img.naturalHeight);
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(img.naturalWidth * scale));
      canvas.height = Math.max(1, Math.round(img.naturalHeight * scale));
      var context = canvas.getContext("2d");
      context.fillStyle = "#fff";
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(img, 0, 0, canvas.width, canvas.height);
      var qualities = [0.85, 0.7, 0.55, 0.4];
      for (var i = 0; i < qualities.length; i++) {
        var blob = await toBlob(canvas, qualities[i]);
        if (blob && blob.size <= maxBytes) {
          return { content_type: "image/jpeg", data: await base64(blob), width: canvas.width, height: canvas.height };
        }
      }
      side = Math.round(side * 0.7);
    }
    throw new Error("photo too large");
  }

  function recipientName(id) {
    var found = pulled.recipients.filter(function (r) { return r.id === id; })[0];
    return found ? found.display_name : String(id);
  }

  async function save(event) {
    event.preventDefault();
    var form = event.target;
    var config = UI.config();
    var times = check(form);
    if (!times) return;
    var photo = null;
    var file = form.photo.files && form.photo.files[0];
    if (file) {
      try {
        photo = await resizePhoto(file, config.photo_max_side, config.photo_max_bytes);
      } catch (error) {
        fieldError("visit-photo", "visit-photo-error", UI.t("photo_failed"));
        return;
      }
    }
    fieldError("visit-photo", "visit-photo-error", "");
    var volunteers = Array.prototype.map.call(
      form.querySelectorAll("input[name=volunteers]:checked"), function (box) { return box.value; }
    );
    var payload = {
      visit_id: window.FieldStore.uuid(),
      team_id: Number(form.team_id.value),
      recipient_id: Number(form.recipient_id.value),
      volunteers: volunteers,
      started_at: window.FieldStore.isoWithOffset(times.started),
      ended_at: window.FieldStore.isoWithOffset(times.ended),
      service_type: form.service_type.value,
      notes: form.notes.value,
    };
    if (photo) payload.photo = { content_type: photo.content_type, data: photo.data };
    var summary = {
      recipient: recipientName(payload.recipient_id),
      started_at: payload.started_at,
      ended_at: payload.ended_at,
      volunteers: volunteers.length,
      photo: Boolean(photo),
    };
    await window.FieldStore.add("visit", "create", payload, summary);
    if (correcting) {
      await window.FieldStore.discard(correcting.id);
      correcting = null;
      UI.show("visit-correcting", "");
      history.replaceState(null, "", location.pathname);
    }
    var team = form.team_id.value;
    form.reset();
    form.team_id.value = team;
    fillRecipients();
    UI.show("visit-saved", UI.t("visit_saved", { what: summary.recipient }));
    await UI.saved();
  }

  async function start() {
    await UI.ready();
    pulled = await window.FieldStore.getMeta("pulled");
    if (!pulled || !pulled.teams.length) {
      UI.show("visit-no-data", UI.t("data_none"));
      pulled = pulled || { teams: [], recipients: [], volunteers: [] };
    }
    fillTeams();
    fillRecipients();
    fillVolunteers();
    byId("visit-ended-at").max = window.FieldStore.isoWithOffset().slice(0, 16);
    byId("visit-team").addEventListener("change", fillRecipients);
    byId("visit-form").addEventListener("submit", save);
    var wanted = new URLSearchParams(location.search).get("correct");
    if (wanted) {
      var record = await window.FieldStore.get(wanted);
      if (record && record.status === "refused" && record.kind === "visit") {
        correcting = record;
        prefill(record);
      }
    }
    byId("visit-form").dataset.ready = "yes";
    document.addEventListener("field:changed", refill);
  }

  // The first visit with signal: the data arrives after the page was drawn.
  async function refill() {
    if (pulled.teams.length) return;
    var fresh = await window.FieldStore.getMeta("pulled");
    if (!fresh || !fresh.teams.length) return;
    pulled = fresh;
    UI.show("visit-no-data", "");
    fillTeams();
    fillRecipients();
    fillVolunteers();
  }

  document.addEventListener("DOMContentLoaded", start);
})();
