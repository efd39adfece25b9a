// Find in the transcript: marks every match of the words typed (case and accents
// ignored), says how many there are, and steps through them (Enter / Shift+Enter, or the
// buttons), scrolling the transcript box to each one; the page and the player stay put.
(function () {
  "use strict";
  var section = document.querySelector("[data-transcript]");
  var finder = section && section.querySelector("[data-transcript-find]");
  if (!finder) return;
  var list = section.querySelector(".transcript-segments");
  var input = finder.querySelector("[data-find-input]");
  var count = finder.querySelector("[data-find-count]");
  var texts = Array.prototype.slice.call(section.querySelectorAll(".transcript-text"));
  var originals = texts.map(function (el) { return el.textContent; });
  var marks = [];
  var current = -1;
  var timer = null;
  var searched = null; // the text the marks are for

  // One character in, one character out, so positions in the folded text are positions in the original.
  function fold(text) {
    var out = "";
    for (var i = 0; i < text.length; i++) {
      var c = text[i];
      var f = c.normalize ? c.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase() : c.toLowerCase();
      out += f.length === 1 ? f : (c.toLowerCase().length === 1 ? c.toLowerCase() : c);
    }
    return out;
  }
  var folded = originals.map(fold);

  function clear() {
    texts.forEach(function (el, i) { if (el.querySelector("mark")) el.textContent = originals[i]; });
    marks = [];
    current = -1;
  }

  function markAll(query) {
    clear();
    var needle = fold(query.replace(/\s+/g, " ").trim());
    if (!needle) return;
    texts.forEach(function (el, i) {
      var hay = folded[i], text = originals[i], from = 0, at = hay.indexOf(needle);
      if (at < 0) return;
      var fragment = document.createDocumentFragment();
      while (at >= 0) {
        fragment.appendChild(document.createTextNode(text.slice(from, at)));
        var mark = document.createElement("mark");
        mark.className = "find-match";
        mark.textContent = text.slice(at, at + needle.length);
        fragment.appendChild(mark);
        marks.push(mark);
        from = at + needle.length;
        at = hay.indexOf(needle, from);
      }
      fragment.appendChild(document.createTextNode(text.slice(from)));
      el.textContent = "";
      el.appendChild(fragment);
    });
  }

  function scrollToMark(mark) {
    var li = mark.closest(".transcript-segment");
    if (!li || !list) return;
    var top = li.offsetParent === list ? li.offsetTop : li.offsetTop - list.offsetTop;
    if (top < list.scrollTop || top + li.offsetHeight > list.scrollTop + list.clientHeight) {
      list.scrollTop = Math.max(0, top - list.clientHeight / 3);
    }
  }

  function show(index) {
    if (current >= 0 && marks[current]) marks[current].classList.remove("is-current-match");
    current = marks.length ? (index + marks.length) % marks.length : -1;
    finder.dataset.matches = String(marks.length);
    finder.dataset.current = String(current + 1);
    if (current < 0) {
      count.textContent = input.value.trim() ? count.dataset.none : "";
      return;
    }
    marks[current].classList.add("is-current-match");
    scrollToMark(marks[current]);
    count.textContent = count.dataset.of.replace("{current}", current + 1).replace("{total}", marks.length);
  }

  function search() {
    searched = input.value;
    markAll(searched);
    show(0);
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 150);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
      clearTimeout(timer);
      if (input.value !== searched) search();
      else show(current + (event.shiftKey ? -1 : 1));
    } else if (event.key === "Escape" && input.value) {
      input.value = "";
      search();
    }
  });
  finder.querySelector("[data-find-next]").addEventListener("click", function () { show(current + 1); });
  finder.querySelector("[data-find-previous]").addEventListener("click", function () { show(current - 1); });
  finder.hidden = false;
})();
