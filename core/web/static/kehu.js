/* kehu web UI: voice input where the browser has speech recognition (hidden elsewhere). */
(function () {
  "use strict";

  // Forms answer 422 with the form and its errors: show them (htmx swaps only 2xx by default).
  if (window.htmx) {
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "422", swap: true },
      { code: "[45]..", swap: false, error: true }
    ];
  }

  function recognitionClass() {
    return window.SpeechRecognition || window.webkitSpeechRecognition || null;
  }

  function setUpVoiceButton(button) {
    var Recognition = recognitionClass();
    if (!Recognition) {
      button.hidden = true;  // no speech recognition here: no button
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var target = document.querySelector(button.dataset.voiceTarget);
      if (!target) { return; }
      var recognition = new Recognition();
      recognition.lang = document.documentElement.lang === "en" ? "en-US" : "zh-CN";
      recognition.interimResults = false;
      recognition.maxAlternatives = 1;
      button.classList.add("listening");
      recognition.onresult = function (event) {
        var text = event.results[0][0].transcript;
        target.value = target.value ? target.value + " " + text : text;
        target.dispatchEvent(new Event("input", { bubbles: true }));
        target.dispatchEvent(new Event("change", { bubbles: true }));
      };
      recognition.onend = function () { button.classList.remove("listening"); };
      recognition.onerror = recognition.onend;
      recognition.start();
    });
  }

  // Behaviour that would otherwise be inline script (the Content-Security-Policy allows none).
  var behaviours = {
    // the next change of a region select goes to its own picker only, not to the filter form around it
    "[data-region-select]": function (select) {
      select.addEventListener("change", function (event) { event.stopPropagation(); });
    },
    // a choice that makes other inputs meaningless empties them (industry -> its custom fields)
    "[data-clears]": function (input) {
      input.addEventListener("change", function () {
        document.querySelectorAll(input.dataset.clears).forEach(function (other) { other.value = ""; });
      });
    },
    // the "other kinds" select stands in for the radio buttons when something is chosen in it
    "[data-other-kind]": function (select) {
      select.addEventListener("change", function () {
        if (select.value) {
          document.querySelectorAll(select.dataset.otherKind).forEach(function (radio) { radio.checked = false; });
          select.name = "kind";
        } else {
          select.name = "";
        }
      });
    },
    "form[data-confirm]": function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
      });
    },
    "[data-voice-target]": setUpVoiceButton
  };

  function init(root) {
    Object.keys(behaviours).forEach(function (selector) {
      var found = Array.prototype.slice.call(root.querySelectorAll(selector));
      if (root.matches && root.matches(selector)) { found.push(root); }
      found.forEach(function (element) {
        var mark = "kehu" + selector.replace(/[^a-z]/gi, "");
        if (!element.dataset[mark]) {
          element.dataset[mark] = "1";
          behaviours[selector](element);
        }
      });
    });
  }

  // A region select asks for the picker of the code chosen (or of its province when emptied).
  document.addEventListener("htmx:configRequest", function (event) {
    var select = event.detail.elt;
    if (select && select.matches && select.matches("[data-region-select]")) {
      event.detail.parameters.code = select.value || select.dataset.regionFallback || "";
    }
  });

  // A region picker that redrew itself announces the new choice to its form (filters refresh).
  document.addEventListener("htmx:afterSettle", function (event) {
    var trigger = event.detail.requestConfig && event.detail.requestConfig.elt;
    var target = trigger && trigger.getAttribute("hx-target");
    if (target && target.indexOf("#region-picker-") === 0) {
      var picker = document.querySelector(target);
      if (picker) { picker.dispatchEvent(new Event("change", { bubbles: true })); }
    }
  });

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.detail.elt); });
})();
