"""The embedded engine keeps each session's facet values and display fields in memory per
connection (SessionFacts); a change committed through any connection must show at once.
Its vocabulary (fuzzy variants, idf) is kept while the file does not change."""

from __future__ import annotations

import threading

from search.engines import embedded
from search.engines.base import MomentDocument, SearchQuery, SessionDocument
from search.engines.embedded import EmbeddedEngine


def session(session_id: int, title: str, theme: str) -> SessionDocument:
    return SessionDocument(
        session_id=session_id,
        title=title,
        url=f"/s/{session_id}/",
        language="en",
        themes=(theme,),
        moments=(MomentDocument(start=0.0, end=30.0, text="open data for every town hall"),),
    )


def themes_of(engine: EmbeddedEngine) -> dict[str, int]:
    return dict(engine.search(SearchQuery(text="open data")).facets["theme"])


def in_another_thread(work) -> None:
    """Run ``work`` on another thread, so it writes through its own SQLite connection."""
    failures = []

    def run():
        try:
            work()
        except Exception as error:  # pragma: no cover - reported below
            failures.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert not failures, failures


def test_a_change_through_another_connection_shows_in_the_next_search(tmp_path):
    engine = EmbeddedEngine(path=tmp_path / "index.sqlite3")
    engine.rebuild([session(1, "Open data", "Data"), session(2, "Town halls", "Data")])
    assert themes_of(engine) == {"Data": 2}

    in_another_thread(lambda: engine.index_sessions([session(2, "Town halls renamed", "Cities")]))
    assert themes_of(engine) == {"Data": 1, "Cities": 1}
    titles = {hit.title for hit in engine.search(SearchQuery(text="open data")).hits}
    assert titles == {"Open data", "Town halls renamed"}

    in_another_thread(lambda: engine.remove_session(1))
    results = engine.search(SearchQuery(text="open data"))
    assert results.total == 1 and dict(results.facets["theme"]) == {"Cities": 1}


def test_a_change_through_this_connection_shows_in_the_next_search(tmp_path):
    engine = EmbeddedEngine(path=tmp_path / "index.sqlite3")
    engine.rebuild([session(1, "Open data", "Data")])
    assert themes_of(engine) == {"Data": 1}
    engine.index_sessions([session(1, "Open data", "Cities")])
    assert themes_of(engine) == {"Cities": 1}


def test_the_vocabulary_is_read_again_only_when_the_file_has_changed(tmp_path, monkeypatch):
    # Its lifetime over at once: what keeps it is that nothing has changed since.
    monkeypatch.setattr(embedded, "VOCABULARY_SECONDS", 0.0)
    engine = EmbeddedEngine(path=tmp_path / "index.sqlite3")
    engine.rebuild([session(1, "Open data", "Data")])

    def vocabulary():
        return engine._run(lambda connection: engine._vocabulary(connection, "en"))

    first = vocabulary()
    assert vocabulary() is first

    cranes = SessionDocument(
        session_id=2,
        title="Ports",
        url="/s/2/",
        language="en",
        moments=(MomentDocument(start=0.0, end=30.0, text="harbour cranes"),),
    )
    in_another_thread(lambda: engine.index_sessions([cranes]))
    again = vocabulary()
    assert again is not first and "crane" in again.documents and "crane" not in first.documents
