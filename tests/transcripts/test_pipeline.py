"""The transcription task on real recordings, with the real ffmpeg and the real Whisper model."""

import hashlib
from pathlib import Path

import pytest

from library import media
from library.demo.render import render_talk
from library.models import Recording, SessionPage
from tests.factories import make_image, make_recording, make_session
from tests.shared_data import require_shared_file
from tests.transcripts.helpers import make_video, silent_wav, word_error_rate, words
from transcripts import whisper
from transcripts.models import Segment, Transcript
from transcripts.pipeline import run_transcription
from transcripts.recording_facts import apply_media_info

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_jfk_is_transcribed_accurately(home, announced, django_capture_on_commit_callbacks):
    jfk = require_shared_file("jfk.flac")
    recording = make_recording(jfk, title="JFK")
    session = make_session(home, title="Ask not", language="en", recording=recording)
    with django_capture_on_commit_callbacks(execute=True):
        transcript = run_transcription(recording.pk)

    assert transcript.status == Transcript.Status.DONE, transcript.error
    assert transcript.language == "en"
    reference = jfk.with_suffix(".txt").read_text()
    wer = word_error_rate(reference, transcript.text)
    assert wer <= 0.05, f"WER {wer:.1%}: {transcript.text!r}"
    segments = list(transcript.segments.all())
    assert [s.index for s in segments] == list(range(len(segments)))
    assert all(0 <= s.start < s.end <= transcript.audio_seconds + 0.01 for s in segments)
    for segment in Segment.objects.filter(transcript=transcript):  # words as stored (JSON), re-read
        assert "".join(word for _, _, word, _ in segment.words).strip() == segment.text
        assert all(segment.start <= start <= end <= segment.end for start, end, _, _ in segment.words)
    assert 10.5 < transcript.audio_seconds < 11.5
    assert transcript.engine == "faster-whisper"
    assert transcript.model_name.startswith("bundled-base")
    assert transcript.attempts == 1
    assert transcript.processing_seconds > 0
    assert transcript.started_at <= transcript.finished_at
    assert announced == [recording.pk]
    # What probing learnt is on the recording; the session reads it there, its revisions untouched.
    recording.refresh_from_db()
    session = SessionPage.objects.get(pk=session.pk)
    assert 10.5 < recording.duration < 11.5
    assert session.duration == pytest.approx(recording.duration)
    assert "duration" not in session.latest_revision.content


def test_the_prompt_comes_from_the_session_when_the_setting_asks(home, monkeypatch):
    recording = make_recording(require_shared_file("jfk.flac"), title="JFK")
    make_session(
        home,
        title="Inaugural address",
        language="en",
        recording=recording,
        speakers=["John F. Kennedy"],
        summary="President Kennedy takes office, 20 January 1961.",
    )
    prompts = []
    real = whisper.transcribe

    def spy(*args, **kwargs):
        prompts.append(kwargs.get("prompt"))
        return real(*args, **kwargs)

    monkeypatch.setattr(whisper, "transcribe", spy)
    run_transcription(recording.pk, config=whisper.WhisperConfig(prompt_from_metadata=False))
    transcript = run_transcription(recording.pk, config=whisper.WhisperConfig(prompt_from_metadata=True))
    assert prompts == [
        "",
        "Inaugural address. John F. Kennedy. President Kennedy takes office, 20 January 1961.",
    ]
    assert (
        word_error_rate(require_shared_file("jfk.flac").with_suffix(".txt").read_text(), transcript.text)
        <= 0.05
    )


def test_rerun_replaces_segments_without_duplicates(home):
    recording = make_recording(require_shared_file("jfk.flac"), title="JFK")
    first = run_transcription(recording.pk)
    texts = [s.text for s in first.segments.all()]
    second = run_transcription(recording.pk)
    assert second.pk == first.pk
    assert Transcript.objects.filter(recording=recording).count() == 1
    assert [s.text for s in second.segments.all()] == texts
    assert second.segments.count() == len(texts)
    assert second.attempts == 2


def test_detect_picks_english_for_the_multilingual_sample(home):
    recording = make_recording(require_shared_file("multilingual.mp3"), title="Licence")
    make_session(home, title="Licence text", language="auto", recording=recording)
    transcript = run_transcription(recording.pk)
    assert transcript.status == Transcript.Status.DONE, transcript.error
    assert transcript.requested_language == "auto"
    assert transcript.language == "en"
    assert transcript.language_probability is not None
    assert "software" in words(transcript.text)


def test_a_text_file_fails_with_a_reason_and_is_kept(home, tmp_path):
    notes = tmp_path / "notes.mp4"
    notes.write_text("These are my meeting notes, not a video.\n" * 20)
    recording = make_recording(notes, title="Not a video", media_type="video")
    stored = Path(recording.file.path)
    before = digest(stored)

    transcript = run_transcription(recording.pk)

    assert transcript.status == Transcript.Status.FAILED
    assert transcript.error == media.MSG_UNREADABLE
    assert transcript.segments.count() == 0
    assert transcript.finished_at is not None
    assert stored.exists() and digest(stored) == before


def test_a_video_without_audio_fails_with_a_reason(home, tmp_path):
    recording = make_recording(make_video(tmp_path / "mute.mp4"), title="Mute", media_type="video")
    transcript = run_transcription(recording.pk)
    assert transcript.status == Transcript.Status.FAILED
    assert transcript.error == media.MSG_NO_AUDIO
    assert Path(recording.file.path).exists()
    recording.refresh_from_db()
    assert (recording.width, recording.height) == (320, 240)  # probed before extraction refused it


def test_an_empty_upload_fails_with_a_reason(home):
    recording = make_recording(title="Empty", content=b"")
    transcript = run_transcription(recording.pk)
    assert transcript.status == Transcript.Status.FAILED
    assert "0 bytes" in transcript.error


def test_a_missing_file_fails_and_the_next_recording_still_works(home):
    broken = make_recording(title="Gone")
    Path(broken.file.path).unlink()
    assert run_transcription(broken.pk).status == Transcript.Status.FAILED
    assert Transcript.objects.get(recording=broken).error == media.MSG_NOT_FOUND
    fine = make_recording(require_shared_file("jfk.flac"), title="JFK")
    assert run_transcription(fine.pk).status == Transcript.Status.DONE


def test_silence_is_no_speech(home, tmp_path):
    recording = make_recording(silent_wav(tmp_path / "silence.wav"), title="Silence")
    make_session(home, title="Quiet", language="nl", recording=recording)
    transcript = run_transcription(recording.pk)
    assert transcript.status == Transcript.Status.NO_SPEECH, transcript.error
    assert transcript.segments.count() == 0
    assert transcript.error == ""


def test_rendered_demo_talk_is_recognisable_and_gets_a_poster(home, tmp_path):
    script = (
        "Welcome to the knowledge festival. Today we talk about open government and public data. "
        "Thank you for listening."
    )
    video = render_talk(script, "en", "Open government", "video", tmp_path / "talk")
    recording = make_recording(video, title="Open government", media_type="video")
    session = make_session(home, title="Open government", language="en", recording=recording)
    assert session.poster is None

    transcript = run_transcription(recording.pk)

    assert transcript.status == Transcript.Status.DONE, transcript.error
    heard = set(words(transcript.text))
    expected = {"welcome", "knowledge", "festival", "government", "public", "data", "thank", "listening"}
    assert len(heard & expected) >= 6, transcript.text
    recording.refresh_from_db()
    assert recording.poster is not None  # the frame, once, on the recording
    assert recording.poster.width == 640 and recording.poster.height == 360
    assert (recording.width, recording.height) == (640, 360)
    session = SessionPage.objects.get(pk=session.pk)
    assert session.poster is None and session.shown_poster == recording.poster  # no override made
    assert session.duration and session.duration > 3
    # A second session on the recording shows the same frame at once; an editor's poster wins.
    other = make_session(home, title="Open government again", language="en", recording=recording)
    assert other.shown_poster == recording.poster and other.duration == session.duration
    chosen = make_image("chosen.jpg")
    other.poster = chosen
    other.save_revision().publish()
    assert SessionPage.objects.get(pk=other.pk).shown_poster == chosen
    # Probing again (a later run) makes no second frame.
    apply_media_info(recording, video, media.probe(video))
    assert Recording.objects.get(pk=recording.pk).poster_id == recording.poster_id


def test_corrected_transcript_is_not_redone_without_force(home):
    recording = make_recording(require_shared_file("jfk.flac"), title="JFK")
    transcript = run_transcription(recording.pk)
    segment = transcript.segments.first()
    segment.text = "Corrected by an editor."
    segment.save()
    Transcript.objects.filter(pk=transcript.pk).update(provenance=Transcript.Provenance.CORRECTED)

    kept = run_transcription(recording.pk)
    assert kept.attempts == 1
    assert kept.segments.first().text == "Corrected by an editor."

    redone = run_transcription(recording.pk, force=True)
    assert redone.attempts == 2
    assert redone.provenance == Transcript.Provenance.MACHINE
    assert redone.segments.first().text != "Corrected by an editor."


def test_a_deleted_recording_is_nothing_to_do(home):
    recording = make_recording(title="Soon gone")
    pk = recording.pk
    Recording.objects.filter(pk=pk).delete()
    assert run_transcription(pk) is None
