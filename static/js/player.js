// The moment a link names (?t=START, a clip's &end=END), as the page wrote it on the player:
// library/deep_links.py reads the link once, in every notation, and writes seconds in
// data-start, and data-end only for a clip (it ends after it starts). This script is the one
// that reads them: it starts playback there, stops at a clip's end and marks the clip's part
// of the transcript. It runs before the transcript's scripts, which find the player and the
// moment in window.sessionPlayer and window.sessionMoment.
(function () {
  "use strict";
  var player = document.getElementById("player");
  if (!player) return;
  var start = Number(player.dataset.start) || 0;
  var end = player.dataset.end ? Number(player.dataset.end) : null;
  window.sessionPlayer = player;
  window.sessionMoment = { start: start, end: end };

  function seekToStart() {
    if (start > 0 && Math.abs(player.currentTime - start) > 0.5) {
      player.currentTime = start;
    }
  }
  if (player.readyState >= 1) seekToStart();
  else player.addEventListener("loadedmetadata", seekToStart, { once: true });

  if (end === null) return;
  player.addEventListener("timeupdate", function stopAtEnd() {
    if (player.currentTime >= end) {
      player.pause();
      player.removeEventListener("timeupdate", stopAtEnd);
    }
  });

  // The clip's part of the transcript: segments overlapping [start, end] get class "in-clip"
  // and data-in-clip. The transcripts app renders them (data-start/data-end inside
  // #transcript); without a transcript (not transcribed yet) nothing is marked.

  // Scroll the box that holds the lines (never the page: the player stays in view).
  function scrollBoxTo(transcript, el) {
    for (var box = el.parentElement; box && box !== transcript.parentElement; box = box.parentElement) {
      if (box.scrollHeight > box.clientHeight + 1) {
        box.scrollTop += el.getBoundingClientRect().top - box.getBoundingClientRect().top;
        return;
      }
    }
  }

  function markClip(transcript) {
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

  var transcript = document.getElementById("transcript");
  if (transcript && markClip(transcript)) return;
  // The transcript may be filled in after load; wait a little for it, then give up.
  if (!window.MutationObserver) return;
  var observer = new MutationObserver(function () {
    var t = document.getElementById("transcript");
    if (t && markClip(t)) observer.disconnect();
  });
  observer.observe(document.body, { childList: true, subtree: true });
  setTimeout(function () { observer.disconnect(); }, 10000);
})();
