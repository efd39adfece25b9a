"""bench/findability.py --distractors: the transcripts it stores for the bench/search.py corpus
have the shape of a Whisper run, so the product windows and links them as it does real ones."""

import importlib.util
import sys
from pathlib import Path

from search.documents import build_moments
from transcripts.whisper import words_match_text


def _findability_bench():
    path = Path(__file__).resolve().parents[2] / "bench" / "findability.py"
    saved = list(sys.path)  # the script puts the repository first on sys.path
    try:
        spec = importlib.util.spec_from_file_location("findability_bench", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = saved
    return module


def test_distractor_segments_are_timed_word_by_word_like_whispers():
    result = _findability_bench().distractor_transcript(
        [(0.0, 6.0, "een twee drie"), (6.0, 12.0, "vier vijf")], "nl"
    )
    assert (result.language, result.duration, len(result.segments)) == ("nl", 12.0, 2)
    for segment in result.segments:
        assert words_match_text(segment.words, segment.text)
        assert all(segment.start <= w[0] <= w[1] <= segment.end for w in segment.words)
    (moment,) = build_moments(result.segments)
    assert moment.text == "een twee drie vier vijf"
    # Deep links start at the matched word, as they do in a machine transcript.
    assert moment.segment_starts == ((0, 0.0), (4, 2.0), (9, 4.0), (14, 6.0), (19, 9.0))
