"""Findability on real Dutch speech, in CI: one session of ../shared/data/dutch-dev through the
product path (import_event → the real Whisper model → index → /api/search/), on both engines.

The full measurement (four sessions, both engines, WER) is bench/findability.py; this is the
regression guard: below recall@3 0.9 on its queries, search has got worse at finding moments
in imperfect transcripts."""

from __future__ import annotations

import csv
import json

import pytest
from django.core.management import call_command

from library.models import HomePage, Recording, SessionPage
from search import service
from tests.search.helpers import use_engine
from tests.shared_data import require_shared_file
from transcripts.models import Segment, Transcript

pytestmark = pytest.mark.django_db

SESSION_FILE = "dutch-dev/dutch-dev-1.mp3"
MIN_RECALL = 0.9
WINDOW_SECONDS = 3.0  # the dev set's rule: a link within ±3 s of the line
_transcribed: dict = {}


@pytest.fixture(params=["embedded", "opensearch"])
def engine_name(request, settings, tmp_path):
    cleanup = use_engine(request.param, settings, tmp_path)
    yield request.param
    cleanup()


def _import_and_transcribe(tmp_path):
    """import_event of the one session; the real model on the first run, its segments after."""
    audio = require_shared_file(SESSION_FILE)
    folder = audio.parent
    with (folder / "programme.csv").open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["file"] == audio.name]
    programme = tmp_path / "programme.csv"
    with programme.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    HomePage.of_default_site()
    call_command("import_event", str(folder), programme=str(programme), stdout=open("/dev/null", "w"))
    recording = Recording.objects.get()
    if "segments" not in _transcribed:
        from transcripts.pipeline import run_transcription

        transcript = run_transcription(recording.pk)
        assert transcript.status == Transcript.Status.DONE, transcript.error
        _transcribed["language"] = transcript.language
        _transcribed["segments"] = [
            {"index": s.index, "start": s.start, "end": s.end, "text": s.text, "words": s.words}
            for s in transcript.segments.order_by("index")
        ]
    else:
        transcript, _ = Transcript.objects.update_or_create(
            recording=recording,
            defaults={"status": Transcript.Status.DONE, "language": _transcribed["language"]},
        )
        transcript.replace_segments([Segment(**s) for s in _transcribed["segments"]])
    return rows[0]["title"], folder


def test_the_moments_of_a_real_dutch_session_are_found(engine_name, client, tmp_path):
    title, folder = _import_and_transcribe(tmp_path)
    assert SessionPage.objects.get(title=title).live
    service.rebuild()
    queries = [q for q in json.loads((folder / "queries.json").read_text()) if q["title"] == title]
    assert queries

    found, missed = 0, []
    for query in queries:
        sessions = client.get("/api/search/", {"q": query["q"]}).json()["sessions"][:3]
        links = [m["at"] for s in sessions if s["title"] == title for m in s["moments"]]
        if any(query["start"] - WINDOW_SECONDS <= at <= query["end"] + WINDOW_SECONDS for at in links):
            found += 1
        else:
            missed.append((query["q"], query["start"], links))

    recall = found / len(queries)
    assert recall >= MIN_RECALL, f"recall@3 {recall:.2f} on {engine_name}; missed: {missed}"
