"""How a visitor's query is read, the same for every engine: words and "phrases" are all
required, ``a OR b`` offers alternatives, ``-word`` excludes. Every other character is only a
word separator, so no input reaches an engine as syntax (FTS5 or simple_query_string)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from search.analysis import words
from search.engines.errors import QueryError
from search.engines.errors import visitor_message as _

# Every word becomes clauses over several fields: a 1,000-word query took 20 s on OpenSearch
# at 10x. Both engines refuse alike.
MAX_QUERY_CHARS = 500
MAX_QUERY_WORDS = 32


@dataclass
class Clause:
    """One thing the visitor asked for: a word, a quoted phrase, or alternatives (a OR b)."""

    words: list[str] = field(default_factory=list)  # a phrase when more than one
    alternatives: list[Clause] = field(default_factory=list)

    def atoms(self) -> list[list[str]]:
        return [alt.words for alt in self.alternatives] if self.alternatives else [self.words]


@dataclass
class ParsedQuery:
    required: list[Clause]
    excluded: list[list[str]]

    def all_words(self) -> list[str]:
        return [w for clause in self.required for atom in clause.atoms() for w in atom]


_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


def _too_long() -> str:
    return _("The search is too long: use at most %(words)d words and %(characters)d characters.") % {
        "words": MAX_QUERY_WORDS,
        "characters": MAX_QUERY_CHARS,
    }


def parse_query(text: str) -> ParsedQuery:
    """Read a visitor's query into words, "phrases", ``a OR b`` and ``-excluded``.

    Anything else (brackets, colons, FTS5 operators, emoji) is only a word separator, so no
    input can reach FTS5 as syntax; an unbalanced quote runs to the end of the query."""
    text = (text or "").strip()
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(_too_long())
    required: list[Clause] = []
    excluded: list[list[str]] = []
    pending_or = False
    for match in _TOKEN.finditer(text):
        negated, phrase, bare = match.group(1), match.group(2), match.group(3)
        if bare is not None:
            if bare == "OR":
                pending_or = bool(required)
                continue
            negated = bare.startswith("-")
            found = [m.group().lower() for m in words(bare)]
            clauses = [[w] for w in found]
        else:
            found = [m.group().lower() for m in words(phrase)]
            clauses = [found] if found else []
        if not clauses:
            continue
        if negated:
            excluded.extend(clauses)
            continue
        for clause_words in clauses:
            clause = Clause(words=clause_words)
            if pending_or:
                previous = required[-1]
                if not previous.alternatives:
                    previous = Clause(alternatives=[previous])
                    required[-1] = previous
                previous.alternatives.append(clause)
                pending_or = False
            else:
                required.append(clause)
    parsed = ParsedQuery(required, excluded)
    if len(parsed.all_words()) + sum(map(len, excluded)) > MAX_QUERY_WORDS:
        raise QueryError(_too_long())
    if excluded and not required:
        raise QueryError(_("Add a word to search for, not only words to leave out (-word)."))
    return parsed
