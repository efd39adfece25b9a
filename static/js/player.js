// Deep links: ?t=SECONDS starts playback there; &end=SECONDS stops it (clips).
(function () {
  "use strict";
  var player = document.getElementById("player");
  if (!player) return;
  var start = parseFloat(player.dataset.start || "0") || 0;
  var end = parseFloat(player.dataset.end || "");

  function seekToStart() {
    if (start > 0 && Math.abs(player.currentTime - start) > 0.5) {
      player.currentTime = start;
    }
  }
  if (player.readyState >= 1) seekToStart();
  else player.addEventListener("loadedmetadata", seekToStart, { once: true });

  if (!isNaN(end) && end > start) {
    player.addEventListener("timeupdate", function stopAtEnd() {
      if (player.currentTime >= end) {
        player.pause();
        player.removeEventListener("timeupdate", stopAtEnd);
      }
    });
  }
  // Other scripts (the transcript) seek through this event.
  window.sessionPlayer = player;
})();
