// Progressive enhancement only: every page works without this script.
// On the interview page, answers are sent in the background and the question and the live findings are
// replaced in place, with focus moved to the new question, instead of reloading the whole page.
(function () {
  "use strict";

  function swap(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.getElementById("interview");
    var old = document.getElementById("interview");
    if (!fresh || !old) { return false; }
    old.replaceWith(fresh);
    document.title = doc.title;
    enhance();
    var target = document.getElementById("answer-error") || document.getElementById("question");
    if (target) { target.focus(); }
    return true;
  }

  var lastClicked = null;

  function plain(form, submitter) {
    if (submitter && submitter.name) {
      var chosen = document.createElement("input");
      chosen.type = "hidden"; chosen.name = submitter.name; chosen.value = submitter.value;
      form.appendChild(chosen);
    }
    HTMLFormElement.prototype.submit.call(form);
  }

  function enhance() {
    var form = document.getElementById("answer-form");
    if (!form || form.dataset.enhanced) { return; }
    form.dataset.enhanced = "1";
    form.addEventListener("click", function (event) {  // for browsers without event.submitter
      var button = event.target.closest("button[name]");
      if (button) { lastClicked = button; }
    });
    form.addEventListener("submit", function (event) {
      if (!window.fetch || !window.FormData) { return; }
      event.preventDefault();
      var submitter = event.submitter || lastClicked;
      lastClicked = null;
      var data = new FormData(form);
      if (submitter && submitter.name) { data.set(submitter.name, submitter.value); }
      var buttons = form.querySelectorAll("button");
      buttons.forEach(function (b) { b.disabled = true; });
      fetch(form.getAttribute("action"), { method: "POST", body: data, credentials: "same-origin" })
        .then(function (response) { return response.text(); })
        .then(function (html) { if (!swap(html)) { window.location.reload(); } })  // sent: never send twice
        .catch(function () { plain(form, submitter); });
    });
  }

  document.addEventListener("DOMContentLoaded", enhance);
})();
