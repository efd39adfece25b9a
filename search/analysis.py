"""Text analysis for the embedded engine: tokenising and Snowball stemming (Dutch, English).

The same functions run at index time and at query time, so a stemmed query term always
meets the stemmed form stored in the index ("innovaties" and "innovatie" both become
"innoveer"; "running", "runs" and "run" become "run")."""

from __future__ import annotations

import functools
import re
import unicodedata

import Stemmer

LANGUAGES = ("nl", "en")
_STEMMERS = {"nl": "dutch", "en": "english"}
# Letters and digits; everything else (punctuation, underscores, emoji) separates words,
# except an apostrophe inside a word: "z'n", "zo'n", "don't" are one word, as OpenSearch's
# standard tokenizer reads them (a query "z'n" is then one word, not two that never match).
WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def analysis_language(language: str | None) -> str:
    """The stemmer family for a language code: Dutch for nl*, English for anything else."""
    return "nl" if (language or "").strip().lower().startswith("nl") else "en"


@functools.cache
def _stemmer(language: str) -> Stemmer.Stemmer:
    # PyStemmer objects are not thread-safe; lru_cache is per process, and the stemWord
    # calls below hold the GIL for their whole (C) run.
    return Stemmer.Stemmer(_STEMMERS[language])


def _fold(word: str) -> str:
    """Drop diacritics (ideeën -> ideeen) so spelling variants meet; one apostrophe."""
    word = word.replace("’", "'")
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@functools.lru_cache(maxsize=200_000)
def stem(word: str, language: str) -> str:
    """One word's stem; cached, since snippets stem the same words over and over."""
    return _fold(_stemmer(language).stemWord(word.lower().replace("’", "'")))


def words(text: str) -> list[re.Match]:
    """The words of ``text`` with their positions (for highlighting the original text)."""
    return list(WORD.finditer(text or ""))


def analyse(text: str, language: str) -> str:
    """``text`` as space-separated stems: what the full-text index stores and matches."""
    stemmer = _stemmer(language)
    return " ".join(
        _fold(s) for s in stemmer.stemWords([m.group().lower().replace("’", "'") for m in words(text)])
    )
