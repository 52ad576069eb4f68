// The week of operating hours without a round trip: "+ Range", "✕" and "Copy Monday to weekdays"
// change the form in place. The page works without this file: the same buttons then post the form
// and it comes back changed (exporter/admin/settings_week.py reads the same field names).
"use strict";

(function () {
  const form = document.querySelector("form.week-form");
  const template = document.getElementById("range-template");
  if (!form || !template) {
    return;
  }

  function dayOf(element) {
    const day = element.closest(".week-day");
    const week = element.closest(".week");
    return { day: day, s: week.dataset.week, d: day.dataset.day };
  }

  function dayWords(day) {
    return day.querySelector(".day-long").textContent;
  }

  function countInput(day, s, d) {
    return day.querySelector('input[name="w' + s + "-d" + d + '-n"]');
  }

  function updateClosed(day) {
    const ranges = day.querySelector(".day-ranges");
    const closed = ranges.querySelector(".closed-day");
    const any = ranges.querySelector(".range") !== null;
    if (any && closed) {
      closed.remove();
    } else if (!any && !closed) {
      const words = document.createElement("span");
      words.className = "closed-day";
      words.textContent = "Closed";
      ranges.prepend(words);
    }
  }

  // A new range on the day, numbered after the last one the day may have (a removed one leaves a
  // gap, which the server skips), filled with start/end.
  function addRange(place, start, end) {
    const counter = countInput(place.day, place.s, place.d);
    const index = Number(counter.value);
    counter.value = String(index + 1);
    const range = template.content.firstElementChild.cloneNode(true);
    const base = "w" + place.s + "-d" + place.d + "-r" + index;
    const words = dayWords(place.day) + " range " + (index + 1);
    const inputs = range.querySelectorAll("input");
    const labels = range.querySelectorAll("label");
    ["from", "to"].forEach(function (end_, i) {
      inputs[i].id = base + "-" + end_;
      inputs[i].name = base + "-" + end_;
      labels[i].htmlFor = base + "-" + end_;
      labels[i].textContent = words + " " + end_;
    });
    inputs[0].value = start;
    inputs[1].value = end;
    const remove = range.querySelector("button");
    remove.setAttribute("aria-label", "Remove " + words);
    place.day.querySelector(".day-ranges").append(range);
    updateClosed(place.day);
    return inputs[0];
  }

  function removeRange(button) {
    const place = dayOf(button);
    button.closest(".range").remove();
    updateClosed(place.day);
    place.day.querySelector("button.add-range").focus();
  }

  function copyMonday(button) {
    const week = button.closest(".week");
    const s = week.dataset.week;
    const monday = week.querySelector('.week-day[data-day="0"]');
    const ranges = Array.from(monday.querySelectorAll(".range")).map(function (range) {
      const inputs = range.querySelectorAll("input");
      return [inputs[0].value, inputs[1].value];
    });
    for (let d = 1; d <= 4; d += 1) {
      const day = week.querySelector('.week-day[data-day="' + d + '"]');
      day.querySelectorAll(".range").forEach(function (range) { range.remove(); });
      countInput(day, s, d).value = "0";
      ranges.forEach(function (pair) {
        addRange({ day: day, s: s, d: String(d) }, pair[0], pair[1]);
      });
      updateClosed(day);
    }
    week.querySelector(".copy-status").textContent =
      "Monday's hours copied to Tuesday to Friday (not saved yet).";
  }

  form.addEventListener("click", function (event) {
    const button = event.target.closest("button[data-op]");
    if (!button) {
      return;
    }
    event.preventDefault();
    const op = button.dataset.op;
    if (op === "add") {
      addRange(dayOf(button), "", "").focus();
    } else if (op === "remove") {
      removeRange(button);
    } else if (op === "copy") {
      copyMonday(button);
    }
  });
})();
