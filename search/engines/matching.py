"""How a moment meets a visitor's words, the same for every engine.

Transcripts have wrong words (the base model gets about 4 Dutch words in 10 wrong), so a
search cannot demand every word literally. The rules, for any Dutch or English talk:

* **Words are not all required.** Of the visitor's loose words a moment must hold at least
  ``min_should_match(n)`` (in the spirit of Elasticsearch's ``minimum_should_match``);
  quoted phrases are always required and exact.
* **A word meets its misheard forms.** A word meets another with the same stem; a word of
  four letters or more also meets one a letter or two away (``fuzziness``, as
  Elasticsearch's AUTO, counted on the word as typed, since a Dutch stem can be much
  shorter: the model writes "krap" for "krab", "teksel" for "deksel"); the last word
  is also read as a prefix (people stop typing early); and compounds meet their parts
  (``mee zien`` meets ``meezien`` and its misheard ``meezing``; ``opendata`` meets
  ``open data``, and ``stoplicht`` its misheard ``stop echt``).
* **The words as they sound are aligned letter by letter** with the moment's, spaces
  dropped, so words misheard across their boundaries still place the moment.
* **Stop words are never looked up as misheard forms** (search/analysis.py): "band" is a
  letter from "and", which nearly every moment holds, so engines do not fetch moments by
  it. Among the moments found by the other words it still counts: the model does hear a
  word as a stop word ("nicht" as "niet" in "zou ook van de nicht").
* **Ranking.** A moment scores by the rarity (idf) of the words it holds, most of all those
  close together in one stretch of speech, and more when it holds them all; a moment
  with every word outranks one that lacks some. The deep link starts at the first matched
  word of the best stretch, not at the first matched word of the window.

Engines find the candidate moments (each in its own way, with the same rules) and this
module scores them, picks the stretch to link to and marks the words in the snippet.
"""

from __future__ import annotations

import bisect
import html
import itertools
import math
import operator
import re
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel, Levenshtein, Prefix

from search.analysis import WORD, _fold, stem, words
from search.engines.query_syntax import ParsedQuery

# Weight of a word met in each way (an exact or stemmed match counts fully).
EXACT, PREFIX, COMPOUND, FUZZY = 1.0, 0.8, 0.8, 0.6
# How far apart (in words) the matched words of one stretch may lie, beyond the query's length.
STRETCH_SLACK = 3
# Two of the visitor's words in a row count as said together when at most this many words
# apart in the transcript, in the same order (a misheard word in between is common).
PAIR_GAP = 3
# Of the score: the best stretch, its words in the visitor's order, the words anywhere in
# the moment; bonuses for every word in the stretch, or at least somewhere in the moment.
STRETCH_SHARE, ORDER_SHARE, COVERAGE_SHARE = 0.45, 0.4, 0.15
COMPLETE_STRETCH_BONUS, COMPLETE_BONUS = 0.5, 0.15
# Misheard forms of one word an engine looks up in its index (the most frequent first).
FUZZY_VARIANTS = 8
MIN_PREFIX = 3  # a last word shorter than this is not read as a prefix
MIN_COMPOUND_PART = 3  # "opendata" splits into parts of at least this many letters
# The visitor's words as they sound, aligned letter by letter with the moment's (spaces
# dropped): a misheard word is mostly a letter or two off ("vreemd stuk koraal" said as
# "breemstukkoraal", "stoplicht" as "stop echt"), which word rules miss. Of the alignment's
# similarity, what lies above the floor adds up to ALIGN_SHARE to the score; from
# ALIGN_LINK the link starts where the alignment does, when no stretch holds every word.
# Measured on bench/findability.py (dev set, both engines): recall@3 0.904 without it,
# 0.941 with these (MRR 0.860 -> 0.920). Shares 0.3-0.8 and floors 0.3-0.7 were tried:
# 0.4-0.7 with floors 0.4-0.5 is a plateau; the link rule adds 0.007. Three-word queries
# drawn from the same lines (not the folder's) gain as much: 0.753 -> 0.787.
ALIGN_SHARE, ALIGN_FLOOR, ALIGN_LINK = 0.5, 0.5, 0.7
SNIPPET_WORDS = 40
SNIPPET_LEAD = 10


def min_should_match(loose_words: int) -> int:
    """How many of ``loose_words`` loose words a moment must hold: one of one or two, else
    40 % rounded up (2 of 3-5, 3 of 6-7, 4 of 8-10), so a five-word memory of a sentence with
    three words misheard still finds it. Ranking does the rest: moments holding more of the
    words, in the visitor's order and close together, come first."""
    return min(loose_words, 1) if loose_words <= 2 else math.ceil(0.4 * loose_words)


def fuzziness(word: str) -> int:
    """Edits allowed between a typed word and a transcript word (after stemming), as
    Elasticsearch's AUTO: none up to 3 letters, one up to 7, two from 8 (numbers never)."""
    if word.isdigit() or len(word) < 4:
        return 0
    return 1 if len(word) < 8 else 2


@dataclass(frozen=True)
class Term:
    """One thing the visitor asked for: alternatives, each one word or an exact phrase."""

    atoms: tuple[tuple[str, ...], ...]
    required: bool = False  # quoted phrases: always; loose words: min_should_match
    prefix: bool = False  # the query's last loose word is also a prefix
    joined_with_next: str = ""  # this word and the next written together ("mee zien" -> "meezien")


@dataclass
class QueryPlan:
    terms: list[Term]
    excluded: list[list[str]]
    minimum: int  # loose terms a moment must hold

    @property
    def loose(self) -> list[Term]:
        return [t for t in self.terms if not t.required]

    @property
    def is_empty(self) -> bool:
        return not self.terms

    @property
    def single_words(self) -> list[str]:
        """The visitor's loose words that stand alone (not a phrase, not alternatives), in order."""
        return [t.atoms[0][0] for t in self.terms if len(t.atoms) == 1 and len(t.atoms[0]) == 1]

    @property
    def words(self) -> list[str]:
        """Every word the visitor typed (loose or in a phrase), once, sorted."""
        return sorted({w for term in self.terms for atom in term.atoms for w in atom})


def plan_query(parsed: ParsedQuery, prefix_last: bool = True) -> QueryPlan:
    terms: list[Term] = []
    clauses = parsed.required
    for i, clause in enumerate(clauses):
        atoms = tuple(tuple(atom) for atom in clause.atoms())
        single = len(atoms) == 1 and len(atoms[0]) == 1
        required = len(atoms) == 1 and len(atoms[0]) > 1  # a quoted phrase
        following = clauses[i + 1] if i + 1 < len(clauses) else None
        joined = ""
        if single and following and len(following.atoms()) == 1 and len(following.atoms()[0]) == 1:
            joined = atoms[0][0] + following.atoms()[0][0]
        terms.append(Term(atoms=atoms, required=required, joined_with_next=joined))
    loose_singles = [i for i, t in enumerate(terms) if not t.required and len(t.atoms) == 1]
    if prefix_last and loose_singles and loose_singles[-1] == len(terms) - 1:
        last = terms[-1]
        if len(last.atoms[0][0]) >= MIN_PREFIX and not last.atoms[0][0].isdigit():
            terms[-1] = Term(atoms=last.atoms, prefix=True)
    loose = sum(1 for t in terms if not t.required)
    return QueryPlan(terms=terms, excluded=parsed.excluded, minimum=min_should_match(loose))


def compound_splits(word: str) -> list[tuple[str, str]]:
    """The ways ``word`` may be two words written together (parts of 3+ letters)."""
    if len(word) < 2 * MIN_COMPOUND_PART + 1 or word.isdigit():
        return []
    return [(word[:i], word[i:]) for i in range(MIN_COMPOUND_PART, len(word) - MIN_COMPOUND_PART + 1)]


# -- scoring one moment --------------------------------------------------------------------------


class Tokens:
    """The words of one text: each word's stem and plain form (lower case, accents folded),
    as parallel tuples (cheap to build and scan); ``keys`` pairs them, since what a word
    meets depends on both. The words' character offsets in the original (``starts``,
    ``ends``) are found only when asked for: only the moments shown need them."""

    __slots__ = ("text", "stems", "plains", "keys", "_offsets", "_said")

    def __init__(self, text: str, keys: tuple[tuple[str, str], ...]):
        self.text, self.keys = text, keys
        self.stems, self.plains = zip(*keys, strict=True) if keys else ((), ())
        self._offsets = None
        self._said = None

    @classmethod
    def from_forms(cls, text: str, stems: tuple[str, ...], plains: tuple[str, ...]) -> Tokens:
        tokens = cls.__new__(cls)
        tokens.text, tokens.stems, tokens.plains = text, stems, plains
        tokens.keys, tokens._offsets = tuple(zip(stems, plains, strict=True)), None
        tokens._said = None
        return tokens

    @property
    def said(self) -> str:
        """The words as they sound (``sound``), written together: what ``Matcher`` aligns
        the visitor's words with, wherever the model put the spaces."""
        return self._sounded()[0]

    def word_at(self, offset: int) -> int:
        """The word in which character ``offset`` of ``said`` falls."""
        return min(bisect.bisect_right(self._sounded()[1], offset), max(len(self.plains) - 1, 0))

    def _sounded(self):
        # None, the words' sounds as stored (remember_words), or both worked out.
        if not isinstance(self._said, tuple):
            said = self._said or sounds(self.plains)
            self._said = ("".join(said), tuple(itertools.accumulate(map(len, said))))
        return self._said

    def __len__(self) -> int:
        return len(self.stems)

    @property
    def starts(self) -> tuple[int, ...]:
        return self._found_offsets()[0]

    @property
    def ends(self) -> tuple[int, ...]:
        return self._found_offsets()[1]

    def start_of(self, j: int) -> int:
        """Where word ``j`` begins (without finding the offsets of the words after it)."""
        if self._offsets is not None:
            return self._offsets[0][j]
        return next(itertools.islice(WORD.finditer(self.text), j, None)).start()

    def _found_offsets(self):
        if self._offsets is None:
            found = words(self.text)
            self._offsets = (tuple([m.start() for m in found]), tuple([m.end() for m in found]))
        return self._offsets


# (stem, plain) of each written word, per language: words repeat, and a dictionary lookup
# is what keeps rescoring a hundred moments cheap. Emptied when it grows past the limit.
_WORD_KEYS: dict[str, dict[str, tuple[str, str]]] = {}
WORD_KEYS_LIMIT = 500_000


def _word_key(word: str, lang: str) -> tuple[str, str]:
    known = _WORD_KEYS.setdefault(lang, {})
    if len(known) > WORD_KEYS_LIMIT:
        known.clear()
    key = known[word] = (stem(word, lang), _fold(word.lower()))
    return key


# Texts already read, as Tokens: a moment is rescored by query after query. Past the limit
# the oldest entry goes, one per new one (an entry of a 30 s moment is some 6 KB: emptying
# all 8192 at once froze the query that did it for 70 ms).
_TOKENS: OrderedDict[tuple[str, str], Tokens] = OrderedDict()
TOKENS_LIMIT = 8192


def _tokens(text: str, lang: str) -> Tokens:
    found = _TOKENS.get((text, lang))
    if found is None:
        written = WORD.findall(text or "")
        keys = list(map(_WORD_KEYS.setdefault(lang, {}).get, written))
        if None in keys:
            keys = [key or _word_key(word, lang) for word, key in zip(written, keys, strict=True)]
        found = _keep(text, lang, Tokens(text, tuple(keys)))
    return found


def _keep(text: str, lang: str, tokens: Tokens) -> Tokens:
    if len(_TOKENS) >= TOKENS_LIMIT:
        try:  # an OrderedDict drops its oldest in O(1); a dict's holes make that O(n)
            _TOKENS.popitem(last=False)
        except KeyError:  # another thread emptied it first
            pass
    _TOKENS[(text, lang)] = tokens
    return tokens


def stored_words(stems: list[str], plains: list[str]) -> str:
    """What an engine may keep of a moment's text at index time, from its
    ``analysis.analysed_words`` (``remember_words`` reads it back): so that rescoring a
    candidate needs no tokenising (splitting this costs a quarter of finding the words),
    nor working out how its words sound (``Tokens.said``)."""
    return "\n".join((" ".join(stems), " ".join(plains), " ".join(sounds(plains))))


def remember_words(text: str, lang: str, stored: str | None) -> None:
    """Take the words of ``text`` from what ``stored_words`` wrote, unless already read.
    (Rows written before the sounds were stored have two lines: their sounds are worked out.)"""
    if not stored or (text, lang) in _TOKENS:
        return
    stems, plains, *said = stored.split("\n")
    if not (stems or plains):
        _keep(text, lang, Tokens.from_forms(text, (), ()))
        return
    stems, plains = tuple(stems.split(" ")), tuple(plains.split(" "))
    if len(stems) == len(plains):
        tokens = Tokens.from_forms(text, stems, plains)
        said = said[0].split(" ") if said else ()
        if len(said) == len(plains):
            tokens._said = said
        _keep(text, lang, tokens)


@dataclass
class MomentMatch:
    score: float
    matched_terms: int  # terms met anywhere in the moment (or its session's context)
    complete: bool  # every term met
    marks: list[int] = field(default_factory=list)  # token indexes to mark
    tokens: Tokens | None = None
    first_token: int | None = None  # where the best stretch begins

    @property
    def first(self) -> int | None:
        """The character offset where the best stretch begins."""
        if self.first_token is None or self.tokens is None:
            return None
        return self.tokens.start_of(self.first_token)


# What one word (or a run of words starting there) meets: (term index, weight, words covered).
Meets = tuple[tuple[int, float, int], ...]


class Matcher:
    """Scores moments of one language for one query plan.

    What a word meets by itself is worked out once per distinct word, for all the new words
    of a moment at a time (the fuzzy comparisons run in rapidfuzz, not word by word in
    Python): a query rescoring a hundred moments of some eighty words meets a few thousand
    distinct words, and the rest are dictionary lookups."""

    def __init__(self, plan: QueryPlan, lang: str, idf: dict[str, float] | None = None):
        self.plan, self.lang = plan, lang
        self.idf = idf or {}
        self._stems = [[tuple(stem(w, lang) for w in atom) for atom in term.atoms] for term in plan.terms]
        self._joined = [stem(t.joined_with_next, lang) if t.joined_with_next else "" for t in plan.terms]
        self._weights = [self._term_weight(t) for t in plan.terms]
        n = len(plan.terms)
        self._total_weight = sum(self._weights) or 1.0
        self._pair_weight = sum((self._weights[i] + self._weights[i + 1]) / 2 for i in range(n - 1)) or 1.0
        self._required = [i for i, t in enumerate(plan.terms) if t.required]
        self._loose = [i for i, t in enumerate(plan.terms) if not t.required]
        self._alone: dict[tuple[str, str], Meets] = {}
        self._contexts: dict[str, list[float]] = {}
        # Typed compounds that two transcript words may spell, and phrases by first stem.
        self._compounds: dict[str, list[int]] = {}
        self._phrases: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
        for i, (term, alternatives) in enumerate(zip(plan.terms, self._stems, strict=True)):
            for atom in alternatives:
                if len(atom) > 1:
                    self._phrases.setdefault(atom[0], []).append((i, atom))
                elif not term.required and compound_splits(atom[0]):
                    self._compounds.setdefault(atom[0], []).append(i)
        self._compound_heads = {w[:k] for w in self._compounds for k in range(MIN_COMPOUND_PART, len(w))}
        # Words at which more than the word alone must be looked at (a phrase or compound starts).
        self._special = self._compound_heads | set(self._phrases)
        self._edits = {w: fuzziness(w) for alternatives in self._stems for atom in alternatives for w in atom}
        self._edits.update({w: fuzziness(w) for w in self._joined if w})
        # The typed word (not its stem) as it sounds, and the edits its written length allows,
        # keyed by its stem: the model mishears whole words, and a Dutch stem can be much
        # shorter than the word ("deksel" -> "dek"), which would leave "teksel" no edit at all.
        typed_words = [w for term in plan.terms for atom in term.atoms for w in atom]
        said = [sound(_fold(w.lower())) for w in typed_words]
        self._sounds = {stem(w, lang): s for w, s in zip(typed_words, said, strict=True)}
        self._said_edits = {stem(w, lang): fuzziness(_fold(w.lower())) for w in typed_words}
        # A single word is already met letter by letter (fuzziness), so only two or more align.
        self._said_query = "".join(said) if len(said) > 1 else ""

    def _term_weight(self, term: Term) -> float:
        return max(self.idf.get(w, 1.0) for atom in term.atoms for w in atom) if term.atoms else 1.0

    # Which terms a word (or a run of words starting there) meets, and how well.
    def _per_token(self, tokens: Tokens) -> list[Meets]:
        """What every word of ``tokens`` meets (an empty tuple for most)."""
        alone = self._alone
        try:
            per_token = list(map(alone.__getitem__, tokens.keys))
        except KeyError:  # words not prepared: learn them now
            self._learn(set(tokens.keys) - alone.keys())
            per_token = list(map(alone.__getitem__, tokens.keys))
        if self._special and not (
            self._special.isdisjoint(tokens.stems) and self._special.isdisjoint(tokens.plains)
        ):
            for j in range(len(tokens)):
                if tokens.stems[j] in self._special or tokens.plains[j] in self._special:
                    per_token[j] = self._with_runs(tokens, j, per_token[j])
        return per_token

    def _with_runs(self, tokens: Tokens, j: int, alone: Meets) -> Meets:
        """``alone`` plus the phrases and two-word compounds that start at word ``j``."""
        found = {i: (weight, covered) for i, weight, covered in alone}
        stems, plains = tokens.stems, tokens.plains
        if j + 1 < len(tokens) and (stems[j] in self._compound_heads or plains[j] in self._compound_heads):
            # The visitor's compound, said (or transcribed) as two words: opendata / open data;
            # or misheard as well, its first part heard right: "stop echt" for "stoplicht".
            pairs = (stems[j] + stems[j + 1], plains[j] + plains[j + 1])
            for compound, terms in self._compounds.items():
                if compound.startswith(stems[j]) or compound.startswith(plains[j]):
                    edits = self._edits[compound]
                    apart = min(Levenshtein.distance(compound, pair, score_cutoff=edits) for pair in pairs)
                    weight = COMPOUND if apart == 0 else FUZZY
                    if apart <= edits:
                        for i in terms:
                            if found.get(i, (0.0, 1))[0] < weight:
                                found[i] = (weight, 2)
        for i, atom in self._phrases.get(stems[j], ()):
            if stems[j : j + len(atom)] == atom:
                found[i] = (EXACT, len(atom))
        return tuple((i, weight, covered) for i, (weight, covered) in found.items())

    def prepare(self, texts) -> None:
        """Learn the words of all these texts at once (the moments about to be matched):
        one batch of fuzzy comparisons instead of one per moment."""
        lang = self.lang
        keys = set(itertools.chain.from_iterable(_tokens(text, lang).keys for text in texts))
        new = keys - self._alone.keys()
        if new:
            self._learn(new)

    def _learn(self, keys: set[tuple[str, str]]) -> None:
        """Work out what each of these (stem, plain) words meets by itself. Every typed word
        is compared with the whole batch in one rapidfuzz matrix per kind of comparison
        (each word of the batch is converted once); Python only sees the few that meet."""
        keys = list(keys)
        stems = [s for s, _ in keys]
        plains = [p for _, p in keys]
        best: dict[int, dict[int, float]] = {}

        def offer(indexes, term: int, weight: float) -> None:
            for index in indexes.tolist():
                found = best.setdefault(index, {})
                if weight > found.get(term, 0.0):
                    found[term] = weight

        # (terms, typed stem, edits allowed between stems, between the words as said, weight)
        # for every single typed word, and for two typed words that may have been
        # transcribed as one ("mee zien" / "meezien").
        wanted: list[tuple[tuple[int, ...], str, int, int, float]] = []
        prefixes: list[tuple[int, str]] = []
        for i, (term, alternatives) in enumerate(zip(self.plan.terms, self._stems, strict=True)):
            for atom in alternatives:
                if len(atom) == 1:
                    edits = self._edits[atom[0]]
                    wanted.append(((i,), atom[0], edits, max(edits, self._said_edits[atom[0]]), EXACT))
                    if term.prefix:
                        prefixes.append((i, atom[0]))
            joined = self._joined[i]
            if joined and not term.required:
                edits = self._edits[joined]
                wanted.append(((i, i + 1), joined, edits, edits, COMPOUND))
        if wanted and stems:
            most = max(said for _, _, _, said, _ in wanted)  # said >= edits in every row
            typed = [word for _, word, _, _, _ in wanted]
            apart = _distances(typed, stems, most)
            sounds_apart = None
            if any(said for _, _, _, said, _ in wanted):
                sounds_apart = _distances([self._sounds.get(w, w) for w in typed], sounds(plains), most)
            for row, (terms, _, edits, said, weight) in enumerate(wanted):
                distances = apart[row]
                if weight == EXACT:
                    offer(numpy.flatnonzero(distances == 0), terms[0], EXACT)
                    if said:
                        near = (distances <= edits) | (sounds_apart[row] <= said)
                        offer(numpy.flatnonzero(near), terms[0], FUZZY)
                else:
                    for term in terms:
                        offer(numpy.flatnonzero(distances <= edits), term, COMPOUND)
        for i, prefix in prefixes:
            for pool in (stems, plains):
                shared = process.cdist([prefix], pool, scorer=Prefix.similarity, dtype=numpy.int32, workers=1)
                offer(numpy.flatnonzero(shared[0] >= len(prefix)), i, PREFIX)
        self._alone.update(dict.fromkeys(keys, ()))
        for index, found in best.items():
            self._alone[keys[index]] = tuple((i, weight, 1) for i, weight in found.items())

    def _met_in(self, context: str) -> list[float]:
        """How well each term is met somewhere in ``context`` (kept: every moment of a
        session shares its context)."""
        met = self._contexts.get(context)
        if met is None:
            met = [0.0] * len(self.plan.terms)
            for found in self._per_token(_tokens(context, self.lang)):
                for i, weight, _ in found:
                    met[i] = max(met[i], weight)
            self._contexts[context] = met
        return met

    def match(self, text: str, context: str = "") -> MomentMatch | None:
        """How ``text`` (a moment) meets the query; None when it does not qualify.

        ``context`` (the session's title and speakers) may supply terms, but the moment
        itself must hold at least one, and together they must meet the required terms and
        the minimum of loose ones."""
        tokens = _tokens(text, self.lang)
        n = len(self.plan.terms)
        per_token = self._per_token(tokens)
        best_anywhere = [0.0] * n
        for found in filter(None, per_token):
            for i, weight, _ in found:
                if weight > best_anywhere[i]:
                    best_anywhere[i] = weight
        if not any(best_anywhere):
            return None
        met = best_anywhere
        if context:
            met = list(map(max, best_anywhere, self._met_in(context)))
        for i in self._required:
            if not met[i]:
                return None
        if sum(1 for i in self._loose if met[i]) < self.plan.minimum:
            return None

        total_weight, pair_weight = self._total_weight, self._pair_weight
        coverage = sum(map(operator.mul, self._weights, met)) / total_weight
        alignment = aligned_at = None
        if self._said_query:
            alignment = fuzz.partial_ratio_alignment(self._said_query, tokens.said)
            aligned_at = tokens.word_at(_first_shared(self._said_query, tokens.said, alignment))
        stretch, order, start_token, marks, all_in_stretch = self._best_stretch(per_token, n, aligned_at)
        score = (
            STRETCH_SHARE * stretch / total_weight
            + ORDER_SHARE * (order / pair_weight if n > 1 else stretch / total_weight)
            + COVERAGE_SHARE * coverage
        )
        if alignment is not None:
            aligned = alignment.score / 100
            score += ALIGN_SHARE * max(0.0, aligned - ALIGN_FLOOR) / (1 - ALIGN_FLOOR)
            if not all_in_stretch and aligned >= ALIGN_LINK:
                start_token = aligned_at
        complete = all(met)
        if all_in_stretch:
            score += COMPLETE_STRETCH_BONUS
        elif complete:
            score += COMPLETE_BONUS
        return MomentMatch(
            score=score,
            matched_terms=sum(1 for m in met if m),
            complete=complete,
            marks=marks,
            tokens=tokens,
            first_token=start_token,
        )

    def _best_stretch(self, per_token, n: int, aligned_at: int | None = None):
        """The run of at most n + STRETCH_SLACK words meeting the most (weighted) terms; of
        runs that meet them equally, the one starting nearest ``aligned_at`` (where the
        visitor's words, as they sound, align best: "je dat" said twice in a moment, the
        letters of the rest of the query tell which one was meant), else the first.

        Returns (weighted terms met, weighted pairs of consecutive query words met in order,
        first token, tokens to mark, whether every term is met in it)."""
        width = n + STRETCH_SLACK
        positions = list(itertools.compress(range(len(per_token)), per_token))
        best = (0.0, 0.0, None, [], False)
        best_where = None  # the best stretch's (first word, where, marks), its link found at the end
        for a_index, a in enumerate(positions):
            got: dict[int, float] = {}
            where: dict[int, list[int]] = {}
            marks: list[int] = []
            for b in positions[a_index:]:
                if b - a >= width:
                    break
                for i, weight, covered in per_token[b]:
                    if weight > got.get(i, 0.0):
                        got[i] = weight
                    where.setdefault(i, []).append(b)
                    marks.extend(range(b, b + covered))
            if not got or a not in where.get(min(got), []) and not any(a in w for w in where.values()):
                continue
            value = sum(self._weights[i] * w for i, w in got.items())
            order = 0.0
            for i in range(n - 1):
                if (
                    i in where
                    and i + 1 in where
                    and any(0 <= q - p <= PAIR_GAP for p in where[i] for q in where[i + 1])
                ):
                    order += (self._weights[i] * got[i] + self._weights[i + 1] * got[i + 1]) / 2
            key, best_key = value + order, best[0] + best[1]
            if key > best_key + 1e-9 or (
                key > best_key - 1e-9
                and aligned_at is not None
                and best_where is not None
                and abs(a - aligned_at) < abs(best_where[0] - aligned_at)
            ):
                best, best_where = (value, order, None, None, len(got) == n), (a, where, marks)
        if best_where is None:
            return best
        a, where, marks = best_where
        return best[0], best[1], _lead(a, where, n), sorted(set(marks)), best[4]

    # -- what the visitor sees -------------------------------------------------------------------

    def snippet(self, text: str, found: MomentMatch, max_words: int | None = SNIPPET_WORDS) -> str:
        """``text`` HTML-escaped, the best stretch's matched words in ``<mark>``, cut to a
        window around it."""
        return mark_tokens(text, _tokens(text, self.lang), found.marks, max_words)

    def marked(self, text: str) -> str:
        """A session field (title, summary) with every word that meets a term marked."""
        tokens = _tokens(text, self.lang)
        per_token = self._per_token(tokens)
        marks = sorted({k for j, found in enumerate(per_token) for _, _, c in found for k in range(j, j + c)})
        return mark_tokens(text, tokens, marks, None)


def _first_shared(query: str, said: str, alignment) -> int:
    """Where in ``said`` the aligned stretch really begins: at the first run of letters it
    shares with ``query``. The aligned window is as long as the query, so when the end of
    what was said differs ("kristallen na" heard as "pistel"), the window starts a few letters
    early, in the word before ("...korouw ik denk dat deze": at "w", not at "denk")."""
    window = said[alignment.dest_start : alignment.dest_end]
    for block in Indel.opcodes(query[alignment.src_start : alignment.src_end], window):
        if block.tag == "equal" and block.dest_end - block.dest_start >= 2:
            return alignment.dest_start + block.dest_start
    return alignment.dest_start


def _lead(first: int, where: dict[int, list[int]], n: int) -> int:
    """Where the link should start: at the pair of the visitor's words, said in their order,
    that comes first in the query (people remember a sentence from its start; a lone common
    word, or a misheard later word of the query said just before, would start it early)."""
    for i in range(n - 1):
        paired = [p for p in where.get(i, []) if any(0 <= q - p <= PAIR_GAP for q in where.get(i + 1, []))]
        if paired:
            return min(paired)
    return first


# Spellings that sound alike in Dutch and English, applied in order ("corraal" and "koraal",
# "krap" and "krab", "fijn" and "fein" meet): the model writes what it heard.
_SOUNDS = [
    ("ph", "f"),
    ("ch", "g"),
    ("ck", "k"),
    ("ce", "se"),
    ("ci", "si"),
    ("c", "k"),
    ("q", "k"),
    ("x", "ks"),
    ("ij", "ei"),
    ("y", "i"),
    ("au", "ou"),
    ("v", "f"),
    ("z", "s"),
    ("th", "t"),
    ("dt", "t"),
]
_DOUBLE = re.compile(r"(.)\1+")


# Sounds already worked out: a plain dict, since a query looks up a thousand words or more
# at once (``sounds``) and lru_cache's per-call cost was most of that.
_SOUND_OF: dict[str, str] = {}
SOUNDS_LIMIT = 500_000


def sounds(plains: list[str]) -> list[str]:
    """``sound`` of each of these words."""
    found = list(map(_SOUND_OF.get, plains))
    if None in found:
        found = [said or sound(word) for word, said in zip(plains, found, strict=True)]
    return found


def sound(word: str) -> str:
    """A word as it sounds (roughly): the key by which misheard spellings meet."""
    said = _SOUND_OF.get(word)
    if said is None:
        if len(_SOUND_OF) > SOUNDS_LIMIT:
            _SOUND_OF.clear()
        said = _SOUND_OF[word] = _sound(word)
    return said


def _sound(word: str) -> str:
    for written, said in _SOUNDS:
        word = word.replace(written, said)
    word = _DOUBLE.sub(r"\1", word)
    if word.endswith("d"):
        word = word[:-1] + "t"
    elif word.endswith("b"):
        word = word[:-1] + "p"
    return word


def _distances(words: list[str], pool: list[str], most: int):
    """Edit distances of every word of ``words`` to every word of ``pool`` (a row per word);
    anything beyond ``most`` reads ``most + 1``."""
    return process.cdist(
        words, pool, scorer=Levenshtein.distance, score_cutoff=most, dtype=numpy.int32, workers=1
    )


def mark_tokens(text: str, tokens: Tokens, marks: list[int], max_words: int | None) -> str:
    start_char, end_char, prefix, suffix = 0, len(text), "", ""
    if max_words and len(tokens) > max_words:
        first = max(0, (marks[0] if marks else 0) - SNIPPET_LEAD)
        last = min(len(tokens), first + max_words)
        first = max(0, last - max_words)
        if first > 0:
            start_char, prefix = tokens.starts[first], "… "
        if last < len(tokens):
            end_char, suffix = tokens.ends[last - 1], " …"
    out, position = [prefix], start_char
    for j in marks:
        start, end = tokens.starts[j], tokens.ends[j]
        if start < start_char or end > end_char or start < position:
            continue
        out.append(html.escape(text[position:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        position = end
    out.append(html.escape(text[position:end_char]))
    out.append(suffix)
    return "".join(out)


def idf(document_count: int, frequency: int) -> float:
    """Rarer words weigh more (bm25's idf), but every word the visitor typed weighs at least
    as much as one found in every other moment: in a remembered sentence the short common
    words, in their order, are what places it (measured on bench/findability.py: floor 1.0
    found 0.897 of the dev queries, floor 0.05 0.875)."""
    return max(1.0, math.log(1 + (document_count - frequency + 0.5) / (frequency + 0.5)))
