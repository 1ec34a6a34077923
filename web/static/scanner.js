// The in-page QR scanner: camera frames go through jsQR, since Chromium on Linux and
// many phones have no BarcodeDetector. Used by the check-in page and the partner scan.
//
//   <div class="scanner" data-scanner data-target-input="#code" data-autosubmit>
//     <video muted playsinline></video>
//     <p data-scanner-status aria-live="polite"></p>
//   </div>
//
// A decoded code is written into the target input and its form is submitted.
(function () {
  "use strict";

  function startScanner(root) {
    var video = root.querySelector("video");
    var status = root.querySelector("[data-scanner-status]");
    var input = document.querySelector(root.dataset.targetInput);
    var canvas = document.createElement("canvas");
    var context = canvas.getContext("2d", { willReadFrequently: true });
    var stream = null;
    var done = false;

    function say(text) { if (status) status.textContent = text; }

    function stop() {
      done = true;
      if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    }

    function tick() {
      if (done) return;
      if (video.readyState >= video.HAVE_CURRENT_DATA && video.videoWidth) {
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        var frame = context.getImageData(0, 0, canvas.width, canvas.height);
        var found = window.jsQR(frame.data, frame.width, frame.height, {
          inversionAttempts: "dontInvert",
        });
        if (found && found.data) {
          stop();
          root.dataset.decoded = found.data;
          say(root.dataset.foundText || "OK");
          if (input) {
            input.value = found.data;
            input.dispatchEvent(new Event("change", { bubbles: true }));
            if (root.hasAttribute("data-autosubmit") && input.form) {
              input.form.requestSubmit();
            }
          }
          root.dispatchEvent(new CustomEvent("scanned", { detail: found.data, bubbles: true }));
          return;
        }
      }
      window.requestAnimationFrame(tick);
    }

    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say(root.dataset.noCameraText || "No camera");
      return;
    }
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (s) {
        stream = s;
        video.srcObject = s;
        video.setAttribute("playsinline", "");
        return video.play();
      })
      .then(function () {
        say(root.dataset.scanningText || "");
        window.requestAnimationFrame(tick);
      })
      .catch(function () {
        say(root.dataset.noCameraText || "No camera");
      });
    window.addEventListener("pagehide", stop);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-scanner]").forEach(startScanner);
  });
})();
