"""Which moments the embedded engine hands to the shared ranking when a query's words are in
most of the library: a remembered sentence of common words, one of them not in the transcript, in a
library of long talks. The moment holding the visitor's rarest words must be among them,
however many moments hold the common ones, and whatever language they are in."""

from __future__ import annotations

import random

from search.engines.base import MomentDocument, SearchQuery, SessionDocument
from search.engines.embedded import EmbeddedEngine

FILLER_NL = "het is van de en dat we hebben er een op in niet met voor zijn ook maar dan nog wel".split()
FILLER_EN = "the head is held in a ring of things we have and had for the thing that is here".split()
TALKS, MOMENTS = 60, 80  # 30 Dutch talks: 2,400 moments hold the common words
AT = 50  # the remembered moment, deep in its talk


def talk(session_id: int, language: str, said: dict[int, str] | None = None) -> SessionDocument:
    rng = random.Random(session_id)
    filler = FILLER_NL if language == "nl" else FILLER_EN
    moments = tuple(
        MomentDocument(
            start=24.0 * k,
            end=24.0 * k + 30.0,
            text=(said or {}).get(k) or " ".join(rng.choice(filler) for _ in range(60)),
        )
        for k in range(MOMENTS)
    )
    return SessionDocument(
        session_id=session_id,
        title=f"Sessie {session_id}",
        url=f"/s/{session_id}/",
        language=language,
        moments=moments,
    )


def test_a_moment_with_the_rare_words_is_found_among_thousands_with_the_common_ones(tmp_path):
    engine = EmbeddedEngine(path=tmp_path / "index.sqlite3")
    # Not every word: "eindelijk" was not said that way (or was misheard past recognising).
    remembered = "zo, nu hebben we het ding dan gevonden en dat is mooi"
    library = [talk(sid, "nl" if sid % 2 else "en") for sid in range(2, 2 + TALKS)]
    engine.rebuild([*library, talk(1, "nl", {AT: remembered})])

    results = engine.search(SearchQuery(text="hebben het ding eindelijk gevonden"))

    first = results.hits[0]
    assert first.session_id == 1
    assert first.moments[0].start == 24.0 * AT
