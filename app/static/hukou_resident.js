/* Hukou Desk: on the resident form, 性别 and 出生日期 follow the ID number (GB 11643): empty until a complete,
   valid 18-character number is typed, then filled from it. The server derives and checks them again. */
(function ($) {
  "use strict";
  var WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  var CHECK = "10X98765432";

  function normalise(raw) {
    // Full-width digits and X, spaces removed, lowercase x accepted (as app/domain/idnumber.py does).
    return (raw || "").replace(/\s+/g, "").replace(/[\uFF10-\uFF19\uFF38\uFF58]/g, function (c) {
      return String.fromCharCode(c.charCodeAt(0) - 0xFEE0);
    }).toUpperCase();
  }

  // {birth: "YYYY-MM-DD", gender: "M"|"F"} of a valid number, else null.
  function derive(raw) {
    var n = normalise(raw);
    if (!/^\d{17}[\dX]$/.test(n)) { return null; }
    var sum = 0;
    for (var i = 0; i < 17; i++) { sum += parseInt(n.charAt(i), 10) * WEIGHTS[i]; }
    if (CHECK.charAt(sum % 11) !== n.charAt(17)) { return null; }
    var y = +n.substr(6, 4), m = +n.substr(10, 2), d = +n.substr(12, 2);
    var date = new Date(y, m - 1, d);
    if (date.getFullYear() !== y || date.getMonth() !== m - 1 || date.getDate() !== d || date > new Date()) {
      return null;
    }
    return {birth: n.substr(6, 4) + "-" + n.substr(10, 2) + "-" + n.substr(12, 2),
            gender: parseInt(n.charAt(16), 10) % 2 ? "M" : "F"};
  }

  function follow() {
    var found = derive($("#id_number").val());
    var birth = $("#birth_date"), gender = $("#gender");
    birth.val(found ? found.birth : "");
    var picker = birth.closest(".date");
    if (picker.length && picker.data("datepicker")) { picker.datepicker("update", found ? found.birth : ""); }
    gender.val(found ? found.gender : "").trigger("change");
  }

  $(function () {
    var id = $("#id_number");
    if (!id.length || !$("#birth_date").length) { return; }
    // Derived fields are read from the number; a person's own typing would only be refused by the server.
    $("#birth_date").attr("readonly", "readonly");
    id.on("input change", follow);
    if (!id.val()) { follow(); } else if (!$("#birth_date").val()) { follow(); }
  });

  window.hkIdDerive = derive;  // for the browser tests
})(jQuery);
