"""How a moment meets a visitor's words, the same for every engine.

Transcripts have wrong words (the base model gets about 4 Dutch words in 10 wrong), so a
search cannot demand every word literally. The rules, for any Dutch or English talk:

* **Words are not all required.** Of the visitor's loose words a moment must hold at least
  ``min_should_match(n)`` (in the spirit of Elasticsearch's ``minimum_should_match``);
  quoted phrases are always required and exact.
* **A word meets its misheard forms.** A word meets another with the same stem; a word of
  four letters or more also meets one a letter or two away (``fuzziness``, as
  Elasticsearch's AUTO: the model writes "krap" for "krab"); the last word
  is also read as a prefix (people stop typing early); and compounds meet their parts
  (``mee zien`` meets ``meezien`` and its misheard ``meezing``; ``opendata`` meets
  ``open data``).
* **Ranking.** A moment scores by the rarity (idf) of the words it holds, most of all those
  close together in one stretch of speech, and more when it holds them all; a moment
  with every word outranks one that lacks some. The deep link starts at the first matched
  word of the best stretch, not at the first matched word of the window.

Engines find the candidate moments (each in its own way, with the same rules) and this
module scores them, picks the stretch to link to and marks the words in the snippet.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz.distance import Levenshtein

from search.analysis import _fold, stem, words
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
MIN_PREFIX = 3  # a last word shorter than this is not read as a prefix
MIN_COMPOUND_PART = 3  # "opendata" splits into parts of at least this many letters
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


@dataclass
class Token:
    start: int  # character offsets in the original text
    end: int
    stem: str
    plain: str  # lower case, accents folded


@lru_cache(maxsize=4096)
def _tokens(text: str, lang: str) -> tuple[Token, ...]:
    return tuple(
        Token(m.start(), m.end(), stem(m.group(), lang), _fold(m.group().lower())) for m in words(text)
    )


@dataclass
class MomentMatch:
    score: float
    matched_terms: int  # terms met anywhere in the moment (or its session's context)
    complete: bool  # every term met
    marks: list[int] = field(default_factory=list)  # token indexes to mark
    first: int | None = None  # character offset where the best stretch begins


class Matcher:
    """Scores moments of one language for one query plan."""

    def __init__(self, plan: QueryPlan, lang: str, idf: dict[str, float] | None = None):
        self.plan, self.lang = plan, lang
        self.idf = idf or {}
        self._stems = [[tuple(stem(w, lang) for w in atom) for atom in term.atoms] for term in plan.terms]
        self._joined = [stem(t.joined_with_next, lang) if t.joined_with_next else "" for t in plan.terms]
        self._weights = [self._term_weight(t) for t in plan.terms]
        self._alone: dict[tuple[str, str], list[tuple[int, float, int]]] = {}
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
        self._edits = {w: fuzziness(w) for alternatives in self._stems for atom in alternatives for w in atom}
        self._edits.update({w: fuzziness(w) for w in self._joined if w})
        # The typed word (not its stem) as it sounds, keyed by its stem.
        self._sounds = {
            stem(w, lang): sound(_fold(w)) for term in plan.terms for atom in term.atoms for w in atom
        }

    def _term_weight(self, term: Term) -> float:
        return max(self.idf.get(w, 1.0) for atom in term.atoms for w in atom) if term.atoms else 1.0

    # Which terms a token (or a run of tokens starting there) meets, and how well.
    def _meets(self, tokens: tuple[Token, ...], j: int) -> list[tuple[int, float, int]]:
        """(term index, weight, tokens covered) for every term met at token ``j``."""
        token = tokens[j]
        key = (token.stem, token.plain)
        alone = self._alone.get(key)
        if alone is None:
            alone = self._alone[key] = self._meets_alone(token)
        compound = j + 1 < len(tokens) and (
            token.stem in self._compound_heads or token.plain in self._compound_heads
        )
        if not compound and token.stem not in self._phrases:
            return alone  # the common case: what the word meets by itself
        found = {i: (weight, covered) for i, weight, covered in alone}
        if compound:
            # The visitor's compound, said (or transcribed) as two words: opendata / open data.
            nxt = tokens[j + 1]
            for pair in (token.stem + nxt.stem, token.plain + nxt.plain):
                for i in self._compounds.get(pair, ()):
                    if found.get(i, (0.0, 1))[0] < COMPOUND:
                        found[i] = (COMPOUND, 2)
        for i, atom in self._phrases.get(token.stem, ()):
            if tuple(t.stem for t in tokens[j : j + len(atom)]) == atom:
                found[i] = (EXACT, len(atom))
        return [(i, weight, covered) for i, (weight, covered) in found.items()]

    def _meets_alone(self, token: Token) -> list[tuple[int, float, int]]:
        """What a token meets by itself (cached per distinct word: words repeat a lot)."""
        found: dict[int, float] = {}
        for i, (term, alternatives) in enumerate(zip(self.plan.terms, self._stems, strict=True)):
            for atom in alternatives:
                if len(atom) == 1:
                    weight = self._word_weight(term, atom[0], token)
                    if weight > found.get(i, 0.0):
                        found[i] = weight
            joined = self._joined[i]
            if joined and not term.required:
                # The visitor's two words, transcribed as one: "mee zien" / "meezien", "meezing".
                if token.stem == joined or _near(token.stem, joined, self._edits[joined]):
                    for k in (i, i + 1):
                        found[k] = max(found.get(k, 0.0), COMPOUND)
        return [(i, weight, 1) for i, weight in found.items()]

    def _word_weight(self, term: Term, wanted: str, token: Token) -> float:
        if token.stem == wanted:
            return EXACT
        if term.prefix and (token.plain.startswith(wanted) or token.stem.startswith(wanted)):
            return PREFIX
        edits = self._edits[wanted]
        if _near(token.stem, wanted, edits) or (
            edits and _near(sound(token.plain), self._sounds[wanted], edits)
        ):
            return FUZZY
        return 0.0

    def match(self, text: str, context: str = "") -> MomentMatch | None:
        """How ``text`` (a moment) meets the query; None when it does not qualify.

        ``context`` (the session's title and speakers) may supply terms, but the moment
        itself must hold at least one, and together they must meet the required terms and
        the minimum of loose ones."""
        tokens = _tokens(text, self.lang)
        n = len(self.plan.terms)
        per_token: list[list[tuple[int, float, int]]] = [self._meets(tokens, j) for j in range(len(tokens))]
        best_anywhere = [0.0] * n
        for found in per_token:
            for i, weight, _ in found:
                best_anywhere[i] = max(best_anywhere[i], weight)
        if not any(best_anywhere):
            return None
        in_context = [0.0] * n
        if context:
            context_tokens = _tokens(context, self.lang)
            for j in range(len(context_tokens)):
                for i, weight, _ in self._meets(context_tokens, j):
                    in_context[i] = max(in_context[i], weight)
        met = [max(a, c) for a, c in zip(best_anywhere, in_context, strict=True)]
        for i, term in enumerate(self.plan.terms):
            if term.required and not met[i]:
                return None
        loose_met = sum(1 for i, t in enumerate(self.plan.terms) if not t.required and met[i])
        if loose_met < self.plan.minimum:
            return None

        total_weight = sum(self._weights) or 1.0
        coverage = sum(w * m for w, m in zip(self._weights, met, strict=True)) / total_weight
        stretch, order, start_token, marks, all_in_stretch = self._best_stretch(per_token, n)
        pair_weight = sum((self._weights[i] + self._weights[i + 1]) / 2 for i in range(n - 1)) or 1.0
        score = (
            STRETCH_SHARE * stretch / total_weight
            + ORDER_SHARE * (order / pair_weight if n > 1 else stretch / total_weight)
            + COVERAGE_SHARE * coverage
        )
        complete = all(met)
        if all_in_stretch:
            score += COMPLETE_STRETCH_BONUS
        elif complete:
            score += COMPLETE_BONUS
        first = tokens[start_token].start if start_token is not None else None
        return MomentMatch(
            score=score, matched_terms=sum(1 for m in met if m), complete=complete, marks=marks, first=first
        )

    def _best_stretch(self, per_token, n: int):
        """The run of at most n + STRETCH_SLACK words meeting the most (weighted) terms.

        Returns (weighted terms met, weighted pairs of consecutive query words met in order,
        first token, tokens to mark, whether every term is met in it)."""
        width = n + STRETCH_SLACK
        positions = [j for j, found in enumerate(per_token) if found]
        best = (0.0, 0.0, None, [], False)
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
            key = value + order
            if key > best[0] + best[1] + 1e-9:
                best = (value, order, _lead(a, where, n), sorted(set(marks)), len(got) == n)
        return best

    # -- what the visitor sees -------------------------------------------------------------------

    def snippet(self, text: str, found: MomentMatch, max_words: int | None = SNIPPET_WORDS) -> str:
        """``text`` HTML-escaped, the best stretch's matched words in ``<mark>``, cut to a
        window around it."""
        return mark_tokens(text, _tokens(text, self.lang), found.marks, max_words)

    def marked(self, text: str) -> str:
        """A session field (title, summary) with every word that meets a term marked."""
        tokens = _tokens(text, self.lang)
        marks = sorted(
            {k for j in range(len(tokens)) for _, _, c in self._meets(tokens, j) for k in range(j, j + c)}
        )
        return mark_tokens(text, tokens, marks, None)


def _lead(first: int, where: dict[int, list[int]], n: int) -> int:
    """Where the link should start: the first word of an in-order pair of the visitor's
    words (a lone common word just before the remembered sentence would start it early)."""
    paired = [
        p
        for i in range(n - 1)
        for p in where.get(i, [])
        if any(0 <= q - p <= PAIR_GAP for q in where.get(i + 1, []))
    ]
    return min(paired) if paired else first


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


@lru_cache(maxsize=65536)
def sound(word: str) -> str:
    """A word as it sounds (roughly): the key by which misheard spellings meet."""
    for written, said in _SOUNDS:
        word = word.replace(written, said)
    word = _DOUBLE.sub(r"\1", word)
    if word.endswith("d"):
        word = word[:-1] + "t"
    elif word.endswith("b"):
        word = word[:-1] + "p"
    return word


def _near(a: str, b: str, edits: int) -> bool:
    if not edits or abs(len(a) - len(b)) > edits:
        return False
    return Levenshtein.distance(a, b, score_cutoff=edits) <= edits


def mark_tokens(text: str, tokens: tuple[Token, ...], marks: list[int], max_words: int | None) -> str:
    start_char, end_char, prefix, suffix = 0, len(text), "", ""
    if max_words and len(tokens) > max_words:
        first = max(0, (marks[0] if marks else 0) - SNIPPET_LEAD)
        last = min(len(tokens), first + max_words)
        first = max(0, last - max_words)
        if first > 0:
            start_char, prefix = tokens[first].start, "… "
        if last < len(tokens):
            end_char, suffix = tokens[last - 1].end, " …"
    out, position = [prefix], start_char
    for j in marks:
        token = tokens[j]
        if token.start < start_char or token.end > end_char or token.start < position:
            continue
        out.append(html.escape(text[position : token.start]))
        out.append(f"<mark>{html.escape(text[token.start : token.end])}</mark>")
        position = token.end
    out.append(html.escape(text[position:end_char]))
    out.append(suffix)
    return "".join(out)


def idf(document_count: int, frequency: int) -> float:
    """Rarer words weigh more (bm25's idf), but every word the visitor typed weighs at least
    as much as one found in every other moment: in a remembered sentence the short common
    words, in their order, are what places it (measured on bench/findability.py: floor 1.0
    found 0.897 of the dev queries, floor 0.05 0.875)."""
    return max(1.0, math.log(1 + (document_count - frequency + 0.5) / (frequency + 0.5)))
