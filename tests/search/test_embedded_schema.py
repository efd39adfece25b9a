"""The embedded index file across versions of its tables: one of the version before is
brought up to date in place (not emptied), and its moments still match and rank the same."""

from __future__ import annotations

import sqlite3
import threading

from search.engines import embedded, matching
from search.engines.base import MomentDocument, SearchQuery, SessionDocument
from search.engines.embedded import EmbeddedEngine

TEXT = "we moeten dit apparaat mee zien te nemen naar de haven"


def doc() -> SessionDocument:
    return SessionDocument(
        session_id=1,
        title="Haven",
        url="/s/1/",
        language="nl",
        moments=(MomentDocument(start=0.0, end=30.0, text=TEXT, segment_starts=((0, 0.0),)),),
    )


def in_new_thread(work):
    """``work()`` through a connection opened afresh (connections are kept per thread)."""
    found = []
    thread = threading.Thread(target=lambda: found.append(work()))
    thread.start()
    thread.join()
    return found[0]


def test_a_file_of_version_4_keeps_its_moments_and_gets_the_stored_words(tmp_path):
    path = tmp_path / "index.sqlite3"
    EmbeddedEngine(path=path).rebuild([doc()])
    query = SearchQuery(text="apparaat meezien")
    expected = EmbeddedEngine(path=path).search(query).hits

    # The file as version 4 wrote it: moments without their stored words.
    old = sqlite3.connect(path)
    old.execute("ALTER TABLE moments DROP COLUMN words")
    old.execute("PRAGMA user_version = 4")
    old.commit()
    old.close()

    def seen(hits):
        return [(h.session_id, h.score, [(m.at, m.snippet_html) for m in h.moments]) for h in hits]

    engine = EmbeddedEngine(path=path)
    matching._TOKENS.clear()  # the moment's words found in its text again
    assert seen(in_new_thread(lambda: engine.search(query).hits)) == seen(expected)
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA user_version").fetchone()[0] == embedded.SCHEMA_VERSION
    assert check.execute("SELECT words FROM moments").fetchone()[0] is None  # read as text until re-indexed

    in_new_thread(lambda: engine.index_sessions([doc()]))
    stems, plains, said = check.execute("SELECT words FROM moments").fetchone()[0].split("\n")
    assert plains.split(" ") == TEXT.split(" ") and len(stems.split(" ")) == len(TEXT.split(" "))
    matching._TOKENS.clear()  # the moment's words read from what was stored
    assert seen(in_new_thread(lambda: engine.search(query).hits)) == seen(expected)


def test_stored_words_read_back_as_the_text_itself_reads():
    from search.analysis import analysed_words

    for text in ["Zo'n ideeën – z’n ÉÉN café, 2024!", "", "  ", "Open data; opendata. Über_alles"]:
        for lang in ("nl", "en"):
            matching._TOKENS.clear()
            read = matching._tokens(text, lang)
            stored = matching.stored_words(*analysed_words(text, lang))
            older = "\n".join(stored.split("\n")[:2])  # as written before the sounds were stored
            for kept_words in (stored, older):
                matching._TOKENS.clear()
                matching.remember_words(text, lang, kept_words)
                kept = matching._tokens(text, lang)
                assert kept is not read and (kept.stems, kept.plains, kept.keys, kept.said) == (
                    read.stems,
                    read.plains,
                    read.keys,
                    read.said,
                )
                assert [kept.word_at(k) for k in range(len(kept.said))] == [
                    read.word_at(k) for k in range(len(read.said))
                ]
