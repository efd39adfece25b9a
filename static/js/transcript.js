// Interactive transcript: a line seeks the player and plays; the line being spoken is
// highlighted (aria-current + .is-current) and kept in view inside the transcript box.
(function () {
  "use strict";
  var section = document.querySelector("[data-transcript]");
  var player = window.sessionPlayer || document.getElementById("player");
  if (!section || !player) return;
  var list = section.querySelector(".transcript-segments");
  var lines = Array.prototype.slice.call(section.querySelectorAll(".transcript-segment[data-start]"));
  if (!list || !lines.length) return;
  var starts = lines.map(function (li) { return parseFloat(li.dataset.start) || 0; });
  var ends = lines.map(function (li) { return parseFloat(li.dataset.end) || 0; });
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var current = -1;

  // The segment being spoken at `time`: the last one that started, while it lasts
  // (pauses between segments highlight nothing).
  function indexAt(time) {
    var lo = 0, hi = starts.length - 1, found = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (starts[mid] <= time + 0.05) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return found >= 0 && time <= ends[found] + 0.25 ? found : -1;
  }

  function keepInView(li) {
    // Scroll the transcript box only (never the page under the reader), and only when needed.
    var top = li.offsetParent === list ? li.offsetTop : li.offsetTop - list.offsetTop;
    var bottom = top + li.offsetHeight;
    if (top >= list.scrollTop && bottom <= list.scrollTop + list.clientHeight) return;
    var target = Math.max(0, top - list.clientHeight / 3);
    if (list.scrollTo) list.scrollTo({ top: target, behavior: reduceMotion ? "auto" : "smooth" });
    else list.scrollTop = target;
  }

  function highlight(index) {
    if (index === current) return;
    if (current >= 0) {
      lines[current].classList.remove("is-current");
      lines[current].removeAttribute("aria-current");
    }
    current = index;
    if (index < 0) return;
    lines[index].classList.add("is-current");
    lines[index].setAttribute("aria-current", "true");
    keepInView(lines[index]);
  }

  section.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-seek]");
    if (!button) return;
    var time = parseFloat(button.dataset.seek) || 0;
    player.currentTime = time;
    var playing = player.play();
    if (playing && playing.catch) playing.catch(function () { /* autoplay refused: stay paused */ });
    highlight(indexAt(time));
  });

  function follow() { highlight(indexAt(player.currentTime)); }
  player.addEventListener("timeupdate", follow);
  player.addEventListener("seeked", follow);

  // A link's moment (?t=): player.js seeks there once metadata loads; show that moment's line.
  var moment = window.sessionMoment || { start: 0 };
  function showDeepLink() {
    highlight(indexAt(Math.max(moment.start, player.currentTime)));
  }
  if (player.readyState >= 1) showDeepLink();
  else player.addEventListener("loadedmetadata", showDeepLink, { once: true });
})();
