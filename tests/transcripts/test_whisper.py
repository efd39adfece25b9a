"""transcripts.whisper and transcripts.model_store with the real bundled Whisper base model.

No Django and no mocks: real model, real ffmpeg, the real recordings in ../shared/data.
"""

import os

import pytest

from library import media
from tests import shared_data
from tests.transcripts.helpers import silent_wav, word_error_rate, words
from transcripts import accuracy, model_store, whisper

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _requirements():
    shared_data.require_ffmpeg()
    shared_data.require_model()


def assert_well_formed(result: whisper.TranscriptionResult):
    assert result.segments
    previous_start = 0.0
    for segment in result.segments:
        assert 0.0 <= segment.start <= segment.end <= result.duration
        assert segment.start >= previous_start
        assert segment.text and segment.text == segment.text.strip()
        previous_start = segment.start


@pytest.mark.parametrize("batched", [False, True], ids=["plain", "batched"])
def test_jfk_in_english(tmp_path, batched):
    path = shared_data.require_shared_file("jfk.flac")
    reference = (path.parent / "jfk.txt").read_text()
    wav = media.extract_audio(path, tmp_path / "jfk.wav")
    result = whisper.transcribe(wav, "en", whisper.WhisperConfig(), batched=batched)
    assert result.language == "en"
    assert result.language_probability is None  # given, not detected
    assert result.batched is batched
    assert result.duration == pytest.approx(11.0, abs=0.05)
    assert_well_formed(result)
    assert word_error_rate(reference, result.text) <= 0.05, result.text
    assert_words_fit(result)


def assert_words_fit(result: whisper.TranscriptionResult):
    """Word timings on by default: inside their segment, in order, spelling its text exactly."""
    for segment in result.segments:
        assert segment.words, segment
        assert whisper.words_match_text(segment.words, segment.text)
        assert "".join(w[2] for w in segment.words).strip() == segment.text
        previous_end = segment.start
        for start, end, word, probability in segment.words:
            assert segment.start <= start <= end <= segment.end, (segment, word)
            assert start >= previous_end - 0.001 and word.startswith(" ") and 0 <= probability <= 1
            assert type(start) is float and type(end) is float  # JSON-ready, not numpy scalars
            previous_end = end


def test_word_timings_can_be_turned_off():
    audio = media.load_audio(shared_data.require_shared_file("jfk.flac"))
    result = whisper.transcribe(audio, "en", whisper.WhisperConfig(word_timestamps=False))
    assert result.segments and all(segment.words == [] for segment in result.segments)


def test_multilingual_auto_is_detected_as_english():
    progress = []
    result = whisper.transcribe(
        shared_data.require_shared_file("multilingual.mp3"), "auto", on_progress=progress.append
    )
    assert result.language == "en"
    assert set(result.detected_languages) == {"nl", "en"}
    assert result.language_probability == result.detected_languages["en"] > result.detected_languages["nl"]
    assert_well_formed(result)
    assert "permission is hereby granted" in " ".join(words(result.text))
    assert progress and progress == sorted(progress) and 0 < progress[-1] <= 1


def test_auto_only_picks_allowed_languages():
    audio = media.load_audio(shared_data.require_shared_file("jfk.flac"))
    config = whisper.WhisperConfig(allowed_languages=("nl", "de"))  # English is not allowed here
    language, probability, scores = whisper.detect_language(audio, config.allowed_languages, config)
    assert language in {"nl", "de"} and set(scores) == {"nl", "de"}
    assert probability == max(scores.values())
    result = whisper.transcribe(audio, "auto", config)
    assert result.language == language


def test_explicit_language_is_passed_as_is():
    audio = media.load_audio(shared_data.require_shared_file("jfk.flac"))
    result = whisper.transcribe(audio, "nl")  # forced, even though the speech is English
    assert result.language == "nl" and result.language_probability is None
    with pytest.raises(whisper.EngineError):
        whisper.transcribe(audio, "xx")


@pytest.mark.parametrize("language", ["auto", "en"])
def test_silence_has_no_segments(tmp_path, language):
    silence = silent_wav(tmp_path / "silence.wav", seconds=10)
    result = whisper.transcribe(silence, language)
    assert result.segments == [] and not result.has_speech
    assert result.duration == pytest.approx(10.0, abs=0.05)
    assert result.language == ("" if language == "auto" else "en")


def test_long_audio_is_batched_in_blocks(monkeypatch):
    """Long audio goes through the batched pipeline, in blocks split without losing a sample."""
    audio = media.load_audio(shared_data.require_shared_file("multilingual.mp3"))
    monkeypatch.setattr(whisper, "BLOCK_SECONDS", 25.0)
    monkeypatch.setattr(whisper, "CUT_SEARCH_SECONDS", 5.0)
    monkeypatch.setattr(whisper, "LONG_AUDIO_SECONDS", 30.0)
    blocks = list(whisper._blocks(whisper._ArrayReader(audio), whisper.BLOCK_SECONDS))
    assert len(blocks) == 3
    assert sum(block.shape[0] for _, block in blocks) == audio.shape[0]
    assert [offset for offset, _ in blocks][1:] == [
        blocks[0][1].shape[0],
        blocks[0][1].shape[0] + blocks[1][1].shape[0],
    ]
    result = whisper.transcribe(audio, "en")
    assert result.batched  # longer than LONG_AUDIO_SECONDS
    assert_well_formed(result)
    assert result.segments[-1].end > 40  # the later blocks were transcribed at their own offsets
    assert_words_fit(result)  # word times moved by their block's offset too


def test_batched_windows_keep_every_line():
    """Real Dutch speech (dev set, 76 s): with Whisper's timestamp tokens the batched pipeline
    dropped each window's last segment when Whisper left it unclosed, and a line went missing
    here (6 lines of the dev set). Cut into sentences by word timings, every line is heard."""
    path = shared_data.require_shared_file("dutch-dev/dutch-dev-4.mp3")
    start, end = 49.0, 125.0
    audio = media.load_audio(path)[int(start * media.SAMPLE_RATE) : int(end * media.SAMPLE_RATE)]
    result = whisper.transcribe(audio, "nl", batched=True)
    assert_well_formed(result)
    assert_words_fit(result)
    said = [
        {**line, "start": line["start"] - start, "end": line["end"] - start}
        for line in accuracy.timed_reference(path)
        if start <= line["start"] and line["end"] <= end
    ]
    heard = [(w[0] + w[1]) / 2 for segment in result.segments for w in segment.words]
    assert len(said) == 13 and accuracy.lost_lines(said, heard) == []
    assert len(result.segments) >= len(said) // 2  # sentences, not one segment per 30-s window


def test_prompt_steers_only_the_opening_of_a_batched_recording(monkeypatch):
    """The batched pipeline would give its prompt to every window: only the first ~30 s get it.
    Speech that says more than the prompt is never taken for an echo of it.

    Whisper reads the prompt as the text just before the audio, so a prompt that ends with the
    audio's first words makes it go on after them ("to any person ..."): the words the speech
    shares with the prompt come first here, as a session's title does in a real prompt."""
    from faster_whisper import BatchedInferencePipeline

    calls = []
    real = BatchedInferencePipeline.transcribe

    def spy(self, audio, *args, **kwargs):
        calls.append((audio.shape[0] / media.SAMPLE_RATE, kwargs.get("initial_prompt")))
        return real(self, audio, *args, **kwargs)

    monkeypatch.setattr(BatchedInferencePipeline, "transcribe", spy)
    audio = media.load_audio(shared_data.require_shared_file("multilingual.mp3"))
    prompt = "Permission is hereby granted, free of charge. A multilingual sample."
    result = whisper.transcribe(audio, "en", batched=True, prompt=prompt)
    assert [given for _, given in calls] == [prompt, None]
    assert 20 <= calls[0][0] <= whisper.PROMPT_SECONDS
    assert_well_formed(result)
    assert_words_fit(result)
    assert result.prompt_echoes == 0
    assert "permission is hereby granted free of charge" in " ".join(words(result.text))


def test_truncated_recording_never_crashes(tmp_path):
    cut = tmp_path / "jfk-cut.flac"
    cut.write_bytes(shared_data.require_shared_file("jfk.flac").read_bytes()[:20_000])
    try:
        wav = media.extract_audio(cut, tmp_path / "cut.wav")
        result = whisper.transcribe(wav, "auto")
    except media.MediaError as error:
        assert error.message
    else:
        assert isinstance(result, whisper.TranscriptionResult)


def test_config_from_the_environment():
    environ = {"WHISPER_MODEL": "small", "WHISPER_BEAM_SIZE": "2", "WHISPER_LANGUAGES": "NL, en,",
               "WHISPER_WORD_TIMESTAMPS": "off"}  # fmt: skip
    config = whisper.WhisperConfig.from_environment(environ)
    assert config.model == "small" and config.beam_size == 2
    assert config.allowed_languages == ("nl", "en") and config.word_timestamps is False
    assert (config.device, config.compute_type, config.batch_size) == ("cpu", "int8", 4)
    assert config.label == "small (cpu, int8)"
    assert whisper.WhisperConfig.from_environment({}) == whisper.WhisperConfig()
    with pytest.raises(whisper.EngineError, match="WHISPER_BEAM_SIZE must be a whole number"):
        whisper.WhisperConfig.from_environment({"WHISPER_BEAM_SIZE": "five"})
    vad = whisper.WhisperConfig.from_environment(
        {"WHISPER_VAD_THRESHOLD": "0.4", "WHISPER_SEGMENT_BY_WORDS": "0"}
    )
    assert vad.vad_threshold == 0.4 and vad.segment_by_words is False
    with pytest.raises(whisper.EngineError, match="WHISPER_VAD_THRESHOLD must be a number"):
        whisper.WhisperConfig.from_environment({"WHISPER_VAD_THRESHOLD": "low"})


def test_a_bad_whisper_variable_stops_manage_py(monkeypatch):
    from transcripts.apps import whisper_environment

    assert whisper_environment() == []
    monkeypatch.setenv("WHISPER_BATCH_SIZE", "4x")
    [error] = whisper_environment()
    assert error.id == "transcripts.E001" and "WHISPER_BATCH_SIZE" in error.msg


def test_model_is_loaded_once_per_config():
    assert whisper.get_model() is whisper.get_model(whisper.WhisperConfig())


def test_resolve_model(tmp_path):
    bundled = model_store.resolve_model(model_store.DEFAULT_MODEL)
    assert os.path.isfile(os.path.join(bundled, "model.bin"))
    assert model_store.resolve_model("base") == bundled
    assert model_store.resolve_model(bundled) == bundled  # a local directory is used as-is
    assert model_store.resolve_model("large-v3") == "large-v3"  # faster-whisper names pass through
    assert model_store.resolve_model("Systran/faster-whisper-small") == "Systran/faster-whisper-small"
    with pytest.raises(model_store.ModelStoreError):
        model_store.resolve_model(str(tmp_path / "no-such-model"))
    with pytest.raises(model_store.ModelStoreError):
        model_store.resolve_model(tmp_path)  # exists, but has no model.bin


def test_model_store_rebuilds_a_corrupt_cache(tmp_path, monkeypatch):
    cache = tmp_path / "whisper-cache"
    monkeypatch.setenv(model_store.CACHE_ENV, str(cache))
    assert model_store.default_cache_dir() == cache
    directory = model_store.bundled_model_dir()
    assert directory == cache
    model_bin = directory / "model.bin"
    good = model_bin.stat().st_size
    assert good > 140_000_000
    assert {"config.json", "tokenizer.json", "vocabulary.txt", model_store.MARKER_NAME} <= {
        p.name for p in directory.iterdir()
    }
    checksum = model_store._sha256_file(model_bin)

    # Same size, flipped bytes in the middle (bit rot, an interrupted in-place copy): the checksum catches it.
    with model_bin.open("r+b") as fh:
        fh.seek(good // 2)
        fh.write(b"\0" * 4096)
    assert model_store._sha256_file(model_bin) != checksum
    model_store.bundled_model_dir()
    assert model_store._sha256_file(model_bin) == checksum

    # A partial join (truncated file): the size check catches it.
    with model_bin.open("r+b") as fh:
        fh.truncate(good // 3)
    model_store.bundled_model_dir()
    assert model_bin.stat().st_size == good

    # A join that died before writing its marker is never trusted.
    (directory / model_store.MARKER_NAME).unlink()
    (directory / "tokenizer.json").unlink()
    model_store.bundled_model_dir()
    assert (directory / model_store.MARKER_NAME).is_file() and (directory / "tokenizer.json").is_file()
    assert model_store._sha256_file(model_bin) == checksum
    assert not [p.name for p in directory.iterdir() if p.name.endswith(".tmp")]

    # And the rebuilt directory really loads and transcribes.
    config = whisper.WhisperConfig(model=str(directory))
    result = whisper.transcribe(media.load_audio(shared_data.require_shared_file("jfk.flac")), "en", config)
    assert "fellow americans" in " ".join(words(result.text))
