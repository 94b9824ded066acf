// Upstream Atlas: send a "Report a problem" form in place (JSON to /api/services/{id}/reports)
// instead of leaving the page. Without scripts the same form posts to /problem/{id}. Messages are
// set with textContent: nothing typed is ever parsed as HTML.
(function () {
  "use strict";
  function send(form) {
    var status = form.querySelector(".problem-status");
    var kind = form.querySelector("input[name=kind]:checked");
    var text = form.querySelector("textarea[name=text]");
    var contact = form.querySelector("input[name=contact]");
    var body = { kind: kind ? kind.value : "", lang: form.dataset.lang || "en" };
    if (text && text.value.trim()) body.text = text.value;
    if (contact && contact.value.trim()) body.contact = contact.value;
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    fetch("/api/services/" + encodeURIComponent(form.dataset.serviceId) + "/reports", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      credentials: "omit", referrerPolicy: "no-referrer"
    }).then(function (r) {
      if (r.status === 201) {
        status.textContent = form.dataset.thanks;
        form.setAttribute("data-sent", "true");
        Array.prototype.forEach.call(form.querySelectorAll("input, textarea"), function (el) { el.disabled = true; });
        return;
      }
      status.textContent = r.status === 429 ? form.dataset.tooMany : form.dataset.invalid;
      if (button) button.disabled = false;
    }).catch(function () {
      form.submit();  // the network said no: let the browser post the form itself
    });
  }
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form || !form.classList || !form.classList.contains("problem-form") || !window.fetch) return;
    e.preventDefault();
    send(form);
  });
  document.documentElement.setAttribute("data-report-problem", "ready");
})();
