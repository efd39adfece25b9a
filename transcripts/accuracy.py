"""How close a transcript is to what was said: word error rate, shared by tests and benchmarks.

Words are compared lower-cased, without punctuation; letters are Unicode letters, so Dutch
``één`` or ``ideeën`` stay one word. Django-free."""

import re

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
