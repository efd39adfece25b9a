"""The test helpers that other tests lean on must themselves be right."""

import pytest

from tests.transcripts.helpers import parse_webvtt, word_error_rate


def test_word_error_rate():
    assert word_error_rate("Ask not, what!", "ask not what") == 0
    assert word_error_rate("a b c d", "a x c") == 0.5  # one substitution, one deletion
    assert word_error_rate("a b", "a b c d") == 1.0  # two insertions
    assert word_error_rate("Één idee, twee ideeën.", "één idee twee ideeën") == 0  # Unicode letters
    assert word_error_rate("don’t stop", "don't stop") == 0


@pytest.mark.parametrize(
    "text",
    [
        "1\n00:00:00.000 --> 00:00:01.000\nno header\n",
        "WEBVTT\n\n1\n00:00:00,000 --> 00:00:01,000\nSRT commas\n",
        "WEBVTT\n\n1\n00:00:02.000 --> 00:00:01.000\nends first\n",
        "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nno identifier\n",
    ],
)
def test_parse_webvtt_rejects_malformed_files(text):
    with pytest.raises(AssertionError):
        parse_webvtt(text)


def test_parse_webvtt_reads_cues():
    assert parse_webvtt("WEBVTT\n\n1\n01:00:00.500 --> 01:00:02.000\nA &amp; B\n\n") == [
        (3600.5, 3602.0, "A &amp; B")
    ]
