// The preview's week grid form: when the metric changes, show that metric's scope fields at once
// (the others are hidden and disabled, so they are not sent). Progressive enhancement only:
// without JavaScript, Show renders the chosen metric's own fields.
"use strict";
(function () {
  var select = document.getElementById("kpi");
  if (!select) {
    return;
  }
  function showFieldsOfTheChosenMetric() {
    var option = select.options[select.selectedIndex];
    var labels = (option.getAttribute("data-labels") || "").split(" ");
    var fields = document.querySelectorAll("[data-scope-label]");
    for (var i = 0; i < fields.length; i += 1) {
      var used = labels.indexOf(fields[i].getAttribute("data-scope-label")) >= 0;
      fields[i].hidden = !used;
      fields[i].querySelector("input").disabled = !used;
    }
  }
  select.addEventListener("change", showFieldsOfTheChosenMetric);
  var hint = document.getElementById("scope-hint");
  if (hint) {
    hint.hidden = true; // the fields follow the metric now
  }
})();
