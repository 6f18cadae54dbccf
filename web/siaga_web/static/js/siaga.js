/* Siaga's one script (a file: the Content-Security-Policy allows no inline script).
 *
 * - Refusals of htmx requests are swapped like answers (see the htmx-config meta in
 *   layouts/base.html); the server sends its own fragment or retargets a general refusal into
 *   #pesan-galat. What only the browser knows (the server unreachable) is written here.
 * - Forms (or their buttons) marked data-confirm ask before a destructive action (cancel, revoke, approve).
 * - A refusal naming a field (data-field) marks that field of the form that was sent invalid,
 *   described by the refusal's text, and moves the focus to it; the next send clears the mark.
 */
(function () {
  "use strict";

  function region() {
    return document.getElementById("pesan-galat");
  }

  function clearRegion() {
    var box = region();
    if (box) box.replaceChildren();
  }

  function showOffline() {
    var box = region();
    if (!box) return;
    var notice = document.createElement("div");
    notice.className = "notice error toast";
    var text = document.createElement("p");
    text.textContent = box.dataset.offline || "Tidak tersambung ke server.";
    notice.appendChild(text);
    box.replaceChildren(notice);
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    // A new request by the person (not a background refresh) clears the last refusal.
    var trigger = event.detail && event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
    if (trigger) clearRegion();
  });
  function sourceForm(detail) {
    var source = detail && detail.requestConfig && detail.requestConfig.elt;
    if (!(source instanceof Element)) return null;
    return source instanceof HTMLFormElement ? source : source.closest("form");
  }

  function clearMarks(form) {
    form.querySelectorAll("[data-ditandai]").forEach(function (field) {
      field.removeAttribute("aria-invalid");
      field.removeAttribute("data-ditandai");
      var described = (field.getAttribute("aria-describedby") || "").replace("pesan-galat-isi", "").trim();
      if (described) field.setAttribute("aria-describedby", described);
      else field.removeAttribute("aria-describedby");
    });
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var box = region();
    if (!box || event.detail.target !== box) return;
    var form = sourceForm(event.detail);
    if (!form) return;
    clearMarks(form);
    var refusal = box.querySelector("[data-field]");
    var field = refusal && form.elements.namedItem(refusal.getAttribute("data-field"));
    if (!(field instanceof HTMLElement)) return;
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("data-ditandai", "");
    var described = field.getAttribute("aria-describedby");
    field.setAttribute("aria-describedby", described ? described + " pesan-galat-isi" : "pesan-galat-isi");
    field.focus();
  });
  document.addEventListener("htmx:sendError", showOffline);
  document.addEventListener("htmx:timeout", showOffline);

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target instanceof Element && target.closest("[data-tutup-pesan]")) {
      event.preventDefault();
      clearRegion();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var button = event.submitter;
    var question = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation(); // htmx listens on the form too
    }
  }, true);
})();
