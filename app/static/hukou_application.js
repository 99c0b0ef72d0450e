/* Hukou Desk application screens: the add/edit form shows only the fields of the chosen type; the page's action
   buttons check that the inputs their step needs are filled before posting (the server checks again). */
(function ($) {
  $(function () {
    var map = $("#hk-type-fields");
    if (map.length) {
      var fields = map.data("fields") || {};
      var all = {};
      $.each(fields, function (_t, names) { $.each(names, function (_i, n) { all[n] = true; }); });
      var rowsOf = function (name) {
        if (name === "changes") { return $("[data-hk-change]").closest("tr"); }
        return $("#" + name).closest("tr");
      };
      var toggle = function () {
        var select = $("select#type");
        var type = select.length ? select.val() : map.data("type");
        var own = fields[type];
        $.each(all, function (name) { rowsOf(name).toggle(!own || own.indexOf(name) >= 0); });
      };
      $("select#type").on("change", toggle);
      toggle();
    }
    var form = $("#hk-action-form");
    form.on("click", "button[data-needs]", function (event) {
      var needs = ($(this).data("needs") || "").split(" ");
      for (var i = 0; i < needs.length; i++) {
        if (!needs[i]) { continue; }
        var input = form.find("[name=" + needs[i] + "]");
        if (input.length && !$.trim(input.val())) {
          event.preventDefault();
          input.closest(".form-group").addClass("has-error");
          input.attr("aria-invalid", "true").trigger("focus");
          window.alert(form.data("hk-msg-required") + "\n" + $.trim(form.find("label[for=" + input.attr("id") + "]").text()));
          return;
        }
      }
    });
  });
})(jQuery);
