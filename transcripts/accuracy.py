"""How close a transcript is to what was said: word error rate, shared by tests and benchmarks.

Words are compared lower-cased, without punctuation; letters are Unicode letters, so Dutch
``één`` or ``ideeën`` stay one word. Django-free."""

import json
import re
from bisect import bisect_left
from pathlib import Path

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def words(text: str) -> list[str]:
    """The words of ``text`` as WER counts them: lower case, apostrophes kept inside a word."""
    return _WORD.findall(text.lower().replace("’", "'"))


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Levenshtein distance over words (substitutions + insertions + deletions) / reference words."""
    ref, hyp = words(reference), words(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i]
        for j, h in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1] / max(1, len(ref))


def timed_reference(recording) -> list[dict] | None:
    """The timed reference lines kept beside a recording (``<stem>.json``: a list of
    ``{"start", "end", "text"}``, as in ``../shared/data/dutch-dev``), or None without one."""
    path = Path(recording).with_suffix(".json")
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def lost_lines(reference: list[dict], word_times: list[float]) -> list[dict]:
    """Reference lines during which the transcript has no word at all (``word_times``: the
    midpoint of every transcribed word): dropped by the VAD or skipped by the decoder, so no
    search can find them."""
    times = sorted(word_times)
    lost = []
    for line in reference:
        i = bisect_left(times, line["start"])
        if i == len(times) or times[i] > line["end"]:
            lost.append(line)
    return lost
