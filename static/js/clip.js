// Clip links (?t=START&end=END) mark the clip's part of the transcript: segments
// overlapping [START, END] get class "in-clip" and data-in-clip. The transcript is
// rendered by the transcripts app (elements with data-start/data-end inside #transcript);
// when it is absent (not transcribed yet) this does nothing. START and END are read from
// the player, where the page put them in seconds (it reads ?t=1:05 and ?t=1m5s too).
(function () {
  "use strict";
  var player = document.getElementById("player");
  if (!player) return;
  var start = parseFloat(player.dataset.start || "0");
  var end = parseFloat(player.dataset.end || "");
  if (isNaN(start)) start = 0;
  if (isNaN(end) || end <= start) return;

  // Scroll the box that holds the lines (never the page: the player stays in view).
  function scrollBoxTo(transcript, el) {
    for (var box = el.parentElement; box && box !== transcript.parentElement; box = box.parentElement) {
      if (box.scrollHeight > box.clientHeight + 1) {
        box.scrollTop += el.getBoundingClientRect().top - box.getBoundingClientRect().top;
        return;
      }
    }
  }

  function mark(transcript) {
    var first = null;
    var segments = transcript.querySelectorAll("[data-start][data-end]");
    Array.prototype.forEach.call(segments, function (el) {
      var s = parseFloat(el.dataset.start);
      var e = parseFloat(el.dataset.end);
      if (isNaN(s) || isNaN(e)) return;
      if (s < end && e > start) {
        el.classList.add("in-clip");
        el.dataset.inClip = "true";
        if (!first) first = el;
      }
    });
    if (first) {
      transcript.dataset.clipStart = String(start);
      transcript.dataset.clipEnd = String(end);
      scrollBoxTo(transcript, first);
    }
    return segments.length > 0;
  }

  function run() {
    var transcript = document.getElementById("transcript");
    if (transcript && mark(transcript)) return;
    // The transcript may be filled in after load; wait a little for it, then give up.
    if (!window.MutationObserver) return;
    var observer = new MutationObserver(function () {
      var t = document.getElementById("transcript");
      if (t && mark(t)) observer.disconnect();
    });
    observer.observe(document.body, { childList: true, subtree: true });
    setTimeout(function () { observer.disconnect(); }, 10000);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
  else run();
})();
