"""How a moment meets a visitor's words, the same for every engine.

Transcripts have wrong words (the base model gets about 4 Dutch words in 10 wrong), so a
search cannot demand every word literally. The rules, for any Dutch or English talk:

* **Words are not all required.** Of the visitor's loose words a moment must hold at least
  ``min_should_match(n)`` (in the spirit of Elasticsearch's ``minimum_should_match``);
  quoted phrases are always required and exact.
* **A word meets its misheard forms.** A word meets another with the same stem; a longer
  word also meets one a letter or two away (``fuzziness``, as Elasticsearch's AUTO but from
  5 letters on, since short Dutch words a letter apart are different words); the last word
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
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz.distance import Levenshtein

from search.analysis import _fold, stem, words
from search.engines.query_syntax import ParsedQuery

# Weight of a word met in each way (an exact or stemmed match counts fully).
EXACT, PREFIX, COMPOUND, FUZZY = 1.0, 0.8, 0.8, 0.6
# How far apart (in words) the matched words of one stretch may lie, beyond the query's length.
STRETCH_SLACK = 3
# Of the score: the best stretch, the words anywhere in the moment, and a bonus for all words.
STRETCH_SHARE, COVERAGE_SHARE, COMPLETE_BONUS = 0.6, 0.4, 0.5
MIN_PREFIX = 3  # a last word shorter than this is not read as a prefix
MIN_COMPOUND_PART = 2  # "opendata" splits into parts of at least this many letters
SNIPPET_WORDS = 40
SNIPPET_LEAD = 10


def min_should_match(loose_words: int) -> int:
    """How many of ``loose_words`` loose words a moment must hold: all of one, then half
    (rounded up), so a five-word memory of a sentence with two misheard words still finds it.
    Ranking does the rest: moments holding more of the words, closer together, come first."""
    return loose_words if loose_words <= 1 else math.ceil(loose_words / 2)


def fuzziness(word: str) -> int:
    """Edits allowed between a typed word and a transcript word: none up to 4 letters, one
    up to 7, two from 8 letters (numbers never fuzzy)."""
    if word.isdigit() or len(word) < 5:
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
    """The ways ``word`` may be two words written together (parts of 2+ letters)."""
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

    def _term_weight(self, term: Term) -> float:
        return max(self.idf.get(w, 1.0) for atom in term.atoms for w in atom) if term.atoms else 1.0

    # Which terms a token (or a run of tokens starting there) meets, and how well.
    def _meets(self, tokens: tuple[Token, ...], j: int) -> list[tuple[int, float, int]]:
        """(term index, weight, tokens covered) for every term met at token ``j``."""
        token = tokens[j]
        found = []
        for i, (term, alternatives) in enumerate(zip(self.plan.terms, self._stems, strict=True)):
            best = (0.0, 1)
            for atom in alternatives:
                if len(atom) > 1:  # an exact phrase
                    if tuple(t.stem for t in tokens[j : j + len(atom)]) == atom:
                        best = max(best, (EXACT, len(atom)))
                    continue
                weight = self._word_weight(term, atom[0], token)
                if weight:
                    best = max(best, (weight, 1))
                elif not term.required and j + 1 < len(tokens):
                    # The visitor's compound, said (or transcribed) as two words: opendata / open data.
                    pair = token.stem + tokens[j + 1].stem
                    plain_pair = token.plain + tokens[j + 1].plain
                    if atom[0] in (pair, plain_pair):
                        best = max(best, (COMPOUND, 2))
            if not term.required and self._joined[i]:
                # The visitor's two words, transcribed as one: "mee zien" / "meezien", "meezing".
                joined = self._joined[i]
                if token.stem == joined or _near(token.stem, joined, fuzziness(joined)):
                    found.append((i + 1, COMPOUND, 1))
                    best = max(best, (COMPOUND, 1))
            if best[0]:
                found.append((i, best[0], best[1]))
        return found

    def _word_weight(self, term: Term, wanted: str, token: Token) -> float:
        if token.stem == wanted:
            return EXACT
        if term.prefix and (token.plain.startswith(wanted) or token.stem.startswith(wanted)):
            return PREFIX
        if _near(token.stem, wanted, fuzziness(wanted)):
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
        stretch, start_token, marks = self._best_stretch(per_token, n)
        complete = all(met)
        score = STRETCH_SHARE * stretch / total_weight + COVERAGE_SHARE * coverage
        if complete:
            score += COMPLETE_BONUS
        first = tokens[start_token].start if start_token is not None else None
        return MomentMatch(
            score=score, matched_terms=sum(1 for m in met if m), complete=complete, marks=marks, first=first
        )

    def _best_stretch(self, per_token, n: int) -> tuple[float, int | None, list[int]]:
        """The run of at most n + STRETCH_SLACK words meeting the most (weighted) terms."""
        width = n + STRETCH_SLACK
        positions = [j for j, found in enumerate(per_token) if found]
        best = (0.0, None, [])
        for a_index, a in enumerate(positions):
            got: dict[int, float] = {}
            marks: list[int] = []
            for b in positions[a_index:]:
                if b - a >= width:
                    break
                for i, weight, covered in per_token[b]:
                    if weight > got.get(i, 0.0):
                        got[i] = weight
                    marks.extend(range(b, b + covered))
            value = sum(self._weights[i] * w for i, w in got.items())
            if value > best[0] + 1e-9:
                best = (value, a, sorted(set(marks)))
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
    """Rarer words weigh more (bm25's idf, floored so a word in every moment still counts a little)."""
    return max(0.05, math.log(1 + (document_count - frequency + 0.5) / (frequency + 0.5)))
