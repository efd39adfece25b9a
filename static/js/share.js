// "Share from here": copies this session's address with ?t= at the player's current
// time (whole seconds), and shows the link too, so it can be copied by hand where the
// clipboard is not allowed. The session page reads ?t= (library/deep_links.py).
(function () {
  "use strict";
  var box = document.querySelector("[data-share]");
  var player = window.sessionPlayer || document.getElementById("player");
  if (!box || !player) return;
  var button = box.querySelector("[data-share-button]");
  var field = box.querySelector("[data-share-url]");
  var status = box.querySelector("[data-share-status]");

  function clock(seconds) {
    var s = Math.floor(seconds), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    var mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(r).padStart(2, "0");
  }

  function linkAt(seconds) {
    var url = new URL(window.location.href);
    url.search = "";
    url.hash = "";
    if (seconds >= 1) url.searchParams.set("t", String(Math.floor(seconds)));
    return url.toString();
  }

  function say(template, seconds) {
    status.textContent = template.replace("{time}", clock(seconds));
  }

  button.addEventListener("click", function () {
    var seconds = player.currentTime || 0;
    var link = linkAt(seconds);
    field.value = link;
    field.hidden = false;
    box.dataset.sharedUrl = link; // what was offered, for people and tests alike
    function showToCopy() {
      say(status.dataset.select, seconds);
      field.focus();
      field.select();
    }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(link).then(function () { say(status.dataset.copied, seconds); }, showToCopy);
    } else {
      showToCopy();
    }
  });
  box.hidden = false;
})();
