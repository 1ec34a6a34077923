// Small page helpers that need no framework: the large-text switch.
(function () {
  var root = document.documentElement;
  if (localStorage.getItem("largeText") === "1") root.classList.add("large-text");
  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.getElementById("large-text-toggle");
    if (!toggle) return;
    toggle.setAttribute("aria-pressed", String(root.classList.contains("large-text")));
    toggle.addEventListener("click", function () {
      var on = root.classList.toggle("large-text");
      localStorage.setItem("largeText", on ? "1" : "0");
      toggle.setAttribute("aria-pressed", String(on));
    });
  });
})();
