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

  function init(root) {
    root.querySelectorAll("[data-voice-target]").forEach(function (button) {
      if (!button.dataset.voiceReady) {
        button.dataset.voiceReady = "1";
        setUpVoiceButton(button);
      }
    });
  }

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
