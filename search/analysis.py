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


# The Snowball stop words: so common that engines never look one up as a misheard form of
# a typed word ("band" would fetch every moment holding "and"); the shared ranking still
# counts one among the moments found by the other words (matching.py).
STOP_WORDS = {
    "nl": frozenset(
        "de en van ik te dat die in een hij het niet zijn is was op aan met als voor had er maar "
        "om hem dan zou of wat mijn men dit zo door over ze zich bij ook tot je mij uit der daar "
        "haar naar heb hoe heeft hebben deze u want nog zal me zij nu ge geen omdat iets worden "
        "toch al waren veel meer doen toen moet ben zonder kan hun dus alles onder ja eens hier "
        "wie werd altijd doch wordt wezen kunnen ons zelf tegen na reeds wil kon niets uw iemand "
        "geweest andere".split()
    ),
    "en": frozenset(
        "i me my myself we our ours ourselves you your yours yourself yourselves he him his "
        "himself she her hers herself it its itself they them their theirs themselves what which "
        "who whom this that these those am is are was were be been being have has had having do "
        "does did doing a an the and but if or because as until while of at by for with about "
        "against between into through during before after above below to from up down in out on "
        "off over under again further then once here there when where why how all any both each "
        "few more most other some such no nor not only own same so than too very s t can will "
        "just don should now".split()
    ),
}


@functools.cache
def stop_forms(language: str) -> frozenset[str]:
    """The stop words of ``language`` as written and as stemmed (indexes hold stems)."""
    return STOP_WORDS[language] | {stem(w, language) for w in STOP_WORDS[language]}


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
    return " ".join(analysed_words(text, language)[0])


def analysed_words(text: str, language: str) -> tuple[list[str], list[str]]:
    """The stem and the plain form (lower case, accents folded) of each word of ``text``:
    the two forms the shared ranking compares (search/engines/matching.py)."""
    written = [word.lower().replace("’", "'") for word in WORD.findall(text or "")]
    return [_fold(s) for s in _stemmer(language).stemWords(written)], [_fold(w) for w in written]
