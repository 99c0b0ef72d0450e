/* Hukou Desk: resident pickers search the register on the server instead of listing every resident;
   requested-change inputs show only for information-change applications. */
(function ($) {
  $(function () {
    $(".hk-resident-picker").each(function () {
      var el = $(this);
      el.select2({
        allowClear: true,
        placeholder: el.data("placeholder") || "",
        minimumInputLength: 1,
        ajax: {
          url: el.data("url"), dataType: "json", delay: 250,
          data: function (params) { return { q: params.term }; },
          processResults: function (data) { return { results: data }; }
        }
      });
    });

    // Requested-change inputs belong to information changes only (the server refuses them for other types).
    // The add form has a type select; the edit form marks each input with the application's type.
    var changes = $("[data-hk-change]");
    function toggleChanges() {
      var select = $("select#type");
      var type = select.length ? select.val() : changes.first().data("hk-type");
      var show = type === undefined || type === "info_change";
      changes.each(function () { $(this).closest("tr").toggle(show); });
    }
    if (changes.length) {
      $("select#type").on("change", toggleChanges);
      toggleChanges();
    }
  });
})(jQuery);
