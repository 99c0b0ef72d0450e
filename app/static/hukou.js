/* Hukou Desk: resident pickers search the register on the server instead of listing every resident. */
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
  });
})(jQuery);
