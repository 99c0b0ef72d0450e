/* Accessibility fixes for FAB's widgets (GB/T 37668, axe), without inline script: select2 hides the real <select>
   and shows a text box with no name, so screen readers hear nothing; each gets the name of its field's label.
   Loaded at the end of <body> after hukou_csp.js (app/templates/appbuilder/init.html). */
(function () {
  "use strict";

  function labelOf(select) {
    if (select.id) {
      var label = document.querySelector('label[for="' + select.id + '"]');
      if (label && label.textContent.trim()) { return label.textContent.replace(/[*：:\s]+$/, "").trim(); }
    }
    return select.getAttribute("aria-label") || select.getAttribute("title") || select.getAttribute("name") || "";
  }

  function nameSelect2() {
    document.querySelectorAll("select.select2-hidden-accessible").forEach(function (select) {
      var box = select.nextElementSibling;
      if (!box || !box.classList.contains("select2")) { return; }
      var name = labelOf(select);
      if (!name) { return; }
      box.querySelectorAll(".select2-selection, .select2-selection__rendered").forEach(function (el) {
        el.setAttribute("aria-label", name);
      });
    });
  }

  function start() {
    nameSelect2();
    if (window.jQuery) { window.jQuery(document).on("select2:select select2:unselect select2:close", nameSelect2); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { window.setTimeout(start, 0); });
  } else {
    window.setTimeout(start, 0);
  }
}());
