"""Cutting a batched window into sentences by its word timings, and finding lost lines.

Pure functions on plain data (no model): the real-model side is in test_whisper.py."""

from transcripts import accuracy, whisper


def _window(*words):
    """A one-window segment as the batched pipeline gives it without timestamp tokens."""
    timed = [(start, end, word, 0.9) for start, end, word in words]
    text = "".join(word for _, _, word in words).strip()
    return whisper.SegmentResult(timed[0][0], timed[-1][1], text, -0.3, 0.01, timed)


def test_a_window_is_cut_after_sentence_ends_and_at_pauses():
    window = _window(
        (0.0, 0.3, " Zet"), (0.3, 0.5, " het"), (0.5, 0.9, " uit!"),  # a sentence end
        (1.0, 1.2, " Hoe"), (1.2, 1.5, " weet"), (1.5, 1.8, ' je?"'),  # end, quote after it
        (2.0, 2.2, " Dat"), (2.2, 2.5, " slot"),  # a pause without punctuation
        (3.1, 3.4, " was"), (3.4, 3.9, " groot"),
    )  # fmt: skip
    pieces = whisper._split_sentences(window)
    assert [p.text for p in pieces] == ["Zet het uit!", 'Hoe weet je?"', "Dat slot", "was groot"]
    assert [(p.start, p.end) for p in pieces] == [(0.0, 0.9), (1.0, 1.8), (2.0, 2.5), (3.1, 3.9)]
    for piece in pieces:
        assert whisper.words_match_text(piece.words, piece.text)
        assert (piece.avg_logprob, piece.no_speech_prob) == (-0.3, 0.01)
    assert [w for p in pieces for w in p.words] == window.words  # nothing lost or moved


def test_one_sentence_or_no_word_timings_stay_one_segment():
    sentence = _window((0.0, 0.4, " Ik"), (0.4, 0.6, " denk"), (0.65, 1.0, " het."))
    assert whisper._split_sentences(sentence) == [sentence]
    untimed = whisper.SegmentResult(0.0, 30.0, "Tekst zonder woordtijden. Nog een zin.")
    assert whisper._split_sentences(untimed) == [untimed]


def test_lost_lines_are_those_without_any_word():
    reference = [
        {"start": 0.0, "end": 2.0, "text": "heard"},
        {"start": 2.8, "end": 4.0, "text": "lost"},
        {"start": 4.8, "end": 6.0, "text": "heard at its end"},
        {"start": 6.8, "end": 8.0, "text": "lost at the end"},
    ]
    assert accuracy.lost_lines(reference, [5.9, 0.5, 1.2]) == [reference[1], reference[3]]
    assert accuracy.lost_lines(reference, []) == reference
