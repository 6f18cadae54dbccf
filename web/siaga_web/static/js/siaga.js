/* Siaga's one script (a file: the Content-Security-Policy allows no inline script).
 *
 * - Refusals of htmx requests are swapped like answers (see the htmx-config meta in
 *   layouts/base.html); the server sends its own fragment or retargets a general refusal into
 *   #pesan-galat. What only the browser knows (the server unreachable) is written here.
 * - Forms (or their buttons) marked data-confirm ask before a destructive action (cancel, revoke, approve).
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
