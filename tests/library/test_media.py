"""library.media with real ffmpeg on real and generated files (no Django, no mocks)."""

import wave

import pytest

from library import media
from tests import shared_data
from tests.transcripts.helpers import make_video


@pytest.fixture(autouse=True)
def _ffmpeg():
    shared_data.require_ffmpeg()


def assert_plain_message(error: pytest.ExceptionInfo[media.MediaError]):
    message = error.value.message
    assert message and message == str(error.value)
    assert len(message) < 250
    for leak in ("Traceback", "ffmpeg", "ffprobe", "moov", "@ 0x", "Error while", "\n"):
        if leak == "ffmpeg" and message == media.MSG_NO_FFMPEG:
            continue
        assert leak not in message, f"{leak!r} leaked into {message!r}"


def test_probe_real_audio():
    info = media.probe(shared_data.require_shared_file("jfk.flac"))
    assert info.has_audio and not info.has_video
    assert info.duration == pytest.approx(11.0, abs=0.1)
    assert info.format_name == "flac"
    assert info.width is None and info.height is None


def test_extract_audio_is_16k_mono_pcm(tmp_path):
    out = media.extract_audio(
        shared_data.require_shared_file("multilingual.mp3"), tmp_path / "sub" / "audio.wav"
    )
    assert out == tmp_path / "sub" / "audio.wav"
    with wave.open(str(out)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (16000, 1, 2)
        assert wav.getnframes() / 16000 == pytest.approx(60.0, abs=0.5)
    audio = media.read_wav(out)
    assert audio.dtype.name == "float32" and audio.ndim == 1
    assert 0.05 < abs(audio).max() <= 1.0
    assert [p.name for p in out.parent.iterdir()] == ["audio.wav"]  # no temp files left


def test_stereo_is_mixed_down_to_mono(tmp_path):
    audio = media.load_audio(shared_data.require_shared_file("stereo_diarization.wav"))
    assert audio.ndim == 1 and audio.shape[0] == pytest.approx(5.0 * 16000, abs=160)


def test_text_file_renamed_mp4(tmp_path):
    fake = tmp_path / "talk.mp4"
    fake.write_text("Agenda for Tuesday\n- keynote\n- lunch\n" * 20)
    with pytest.raises(media.MediaError) as error:
        media.probe(fake)
    assert error.value.message == media.MSG_UNREADABLE
    assert "moov atom" in error.value.detail  # ffmpeg's words stay in the log detail
    assert_plain_message(error)
    with pytest.raises(media.MediaError):
        media.extract_audio(fake, tmp_path / "out.wav")
    assert not (tmp_path / "out.wav").exists()


def test_empty_file(tmp_path):
    empty = tmp_path / "upload.mp3"
    empty.touch()
    for call in (media.probe, lambda p: media.extract_audio(p, tmp_path / "out.wav")):
        with pytest.raises(media.MediaError) as error:
            call(empty)
        assert error.value.message == media.MSG_EMPTY
        assert "empty" in error.value.message
        assert_plain_message(error)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(media.MediaError) as error:
        media.probe(tmp_path / "gone.mp4")
    assert error.value.message == media.MSG_NOT_FOUND
    with pytest.raises(media.MediaError) as error:
        media.probe(tmp_path)
    assert error.value.message == media.MSG_NOT_A_FILE


def test_video_without_audio(tmp_path):
    video = make_video(tmp_path / "silent-film.mp4", seconds=2)
    info = media.probe(video)
    assert info.has_video and not info.has_audio
    assert (info.width, info.height) == (320, 240)
    assert info.duration == pytest.approx(2.0, abs=0.2)
    with pytest.raises(media.MediaError) as error:
        media.extract_audio(video, tmp_path / "out.wav")
    assert error.value.message == media.MSG_NO_AUDIO
    assert "no audio track" in error.value.message
    assert_plain_message(error)


def test_truncated_flac_is_a_clear_error(tmp_path):
    cut = tmp_path / "jfk-cut.flac"
    cut.write_bytes(shared_data.require_shared_file("jfk.flac").read_bytes()[:20_000])
    assert media.probe(cut).duration == pytest.approx(11.0, abs=0.1)  # the header still says 11 s
    with pytest.raises(media.MediaError) as error:
        media.extract_audio(cut, tmp_path / "out.wav")
    assert "damaged or incomplete" in error.value.message
    assert_plain_message(error)
    assert not (tmp_path / "out.wav").exists()


def test_truncated_mp4_is_unreadable(tmp_path):
    video = make_video(tmp_path / "full.mp4", seconds=2, with_audio=True)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(video.read_bytes()[:3000])
    with pytest.raises(media.MediaError) as error:
        media.probe(cut)
    assert error.value.message == media.MSG_UNREADABLE


def test_poster_frame_writes_a_jpeg(tmp_path):
    video = make_video(tmp_path / "talk.mp4", seconds=2, with_audio=True)
    info = media.probe(video)
    assert info.has_video and info.has_audio
    jpg = media.poster_frame(video, tmp_path / "posters" / "talk.jpg", at_seconds=1.0)
    data = jpg.read_bytes()
    assert data[:3] == b"\xff\xd8\xff" and len(data) > 1000
    small = media.poster_frame(
        video, tmp_path / "small.jpg", at_seconds=60, width=160, info=info
    )  # past the end
    assert small.read_bytes()[:3] == b"\xff\xd8\xff"
    assert (media.probe(small).width, media.probe(small).height) == (160, 120)
    assert sorted(p.name for p in (tmp_path / "posters").iterdir()) == ["talk.jpg"]


def test_poster_frame_of_audio_only(tmp_path):
    with pytest.raises(media.MediaError) as error:
        media.poster_frame(shared_data.require_shared_file("jfk.flac"), tmp_path / "p.jpg")
    assert error.value.message == media.MSG_NO_VIDEO
    assert not (tmp_path / "p.jpg").exists()
