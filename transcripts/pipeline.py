"""One transcription run for one recording: probe → 16 kHz mono audio → Whisper → segments.

`run_transcription` is what the background task (and `manage.py transcribe --now`) calls. It
re-fetches everything by primary key, is safe to run again (segments are replaced, never
added), never touches the uploaded file, and never raises for a bad recording: every outcome
ends in the Transcript row (done, no_speech or failed with a reason an editor can act on), so
one bad file cannot stop the worker.
"""

import contextlib
import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from library import media
from library.models import Recording

from . import whisper
from .models import Segment, Transcript
from .prompt import prompt_for_recording
from .recording_facts import apply_media_info
from .signals import transcript_changed

logger = logging.getLogger(__name__)

ENGINE_NAME = "faster-whisper"
MSG_ENGINE = (
    "The transcription engine could not be started on the server (the Whisper model is missing "
    "or misconfigured). Please tell an administrator."
)
MSG_UNEXPECTED = (
    "Transcription stopped because of an unexpected problem on the server. Retrying may help; "
    "if it fails again, please tell an administrator (details are in the server log)."
)
MSG_WORKER_LOST = (
    "The transcription worker stopped each time it worked on this recording (it may need more "
    "memory than the server has). Retrying may help; if it fails again, please tell an administrator."
)


def run_transcription(
    recording_id: int,
    *,
    force: bool = False,
    config: whisper.WhisperConfig | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> Transcript | None:
    """Transcribe recording ``recording_id``; returns its Transcript (None if the recording is gone).

    A transcript corrected by an editor is left alone unless ``force`` is given."""
    recording = Recording.objects.filter(pk=recording_id).first()
    if recording is None:
        logger.info("Recording %s no longer exists; nothing to transcribe", recording_id)
        return None
    transcript, _ = Transcript.objects.get_or_create(recording=recording)
    if transcript.is_corrected and not force:
        logger.info("Transcript %s was corrected by an editor; not redone without force", transcript.pk)
        if transcript.is_pending:
            transcript.status = Transcript.Status.DONE
            transcript.save(update_fields=["status", "updated_at"])
        return transcript

    language = recording.session_language()
    Transcript.objects.filter(pk=transcript.pk).update(
        status=Transcript.Status.RUNNING,
        attempts=F("attempts") + 1,
        started_at=timezone.now(),
        finished_at=None,
        error="",
        source_file=recording.file_signature(),
        requested_language=language,
    )
    transcript.refresh_from_db()
    config = config or whisper.WhisperConfig.from_environment()
    prompt = prompt_for_recording(recording) if config.prompt_from_metadata else ""
    clock = time.monotonic()
    try:
        with local_file(recording) as path:
            info = media.probe(path)
            apply_media_info(recording, path, info)
            with tempfile.TemporaryDirectory(prefix="session-library-whisper-") as tmp:
                wav = media.extract_audio(path, Path(tmp) / "audio.wav", info=info)
                result = whisper.transcribe(wav, language, config, on_progress=on_progress, prompt=prompt)
    except media.MediaError as exc:
        logger.warning("Recording %s cannot be transcribed: %s | %s", recording_id, exc.message, exc.detail)
        _fail(transcript, exc.message, clock)
    except (whisper.EngineError, whisper.ModelStoreError) as exc:
        logger.error("Whisper engine unavailable for recording %s: %s", recording_id, exc)
        _fail(transcript, MSG_ENGINE, clock)
    except Exception:
        logger.exception("Transcription of recording %s failed unexpectedly", recording_id)
        _fail(transcript, MSG_UNEXPECTED, clock)
    except BaseException:
        # The worker is told to stop now: its job goes back to the queue (jobs.worker), and so
        # does the transcript; the previous segments were never touched.
        Transcript.objects.filter(pk=transcript.pk, status=Transcript.Status.RUNNING).update(
            status=Transcript.Status.QUEUED
        )
        raise
    else:
        _store(transcript, result, config, clock)
    _announce(transcript)
    return transcript


@contextlib.contextmanager
def local_file(recording: Recording) -> Iterator[Path]:
    """A filesystem path to read the upload from. Storages without paths (object stores) are
    copied to a temporary file first; the stored original is only ever read."""
    if not recording.file.name:
        raise media.MediaError(media.MSG_NOT_FOUND, f"recording {recording.pk} has no file")
    try:
        path = recording.file.path
    except NotImplementedError:
        path = None
    if path is not None:
        yield Path(path)
        return
    suffix = Path(recording.file.name).suffix
    with tempfile.NamedTemporaryFile(prefix="session-library-recording-", suffix=suffix) as copy:
        try:
            with recording.file.open("rb") as source:
                shutil.copyfileobj(source, copy, 1 << 20)
        except (FileNotFoundError, OSError) as exc:
            raise media.MediaError(media.MSG_NOT_FOUND, str(exc)) from None
        copy.flush()
        yield Path(copy.name)


def _fail(transcript: Transcript, reason: str, clock: float) -> None:
    transcript.status = Transcript.Status.FAILED
    transcript.error = reason
    transcript.finished_at = timezone.now()
    transcript.processing_seconds = round(time.monotonic() - clock, 3)
    transcript.save()


def _store(transcript: Transcript, result: whisper.TranscriptionResult, config, clock: float) -> None:
    segments = [
        Segment(
            start=s.start,
            end=s.end,
            text=s.text,
            avg_logprob=s.avg_logprob,
            words=[list(w) for w in s.words] or None,
        )
        for s in result.segments
    ]
    # One short transaction swaps the old segments for the new ones, so visitors see the previous
    # transcript until this commits. The row lock makes a second run of the same job (a worker
    # taken for dead that was only slow) wait and then replace, never interleave.
    with transaction.atomic():
        Transcript.objects.select_for_update().filter(pk=transcript.pk).first()
        transcript.replace_segments(segments)
        transcript.status = Transcript.Status.DONE if segments else Transcript.Status.NO_SPEECH
        transcript.language = result.language
        transcript.language_probability = result.language_probability
        transcript.model_name = config.label
        transcript.engine = ENGINE_NAME
        transcript.provenance = Transcript.Provenance.MACHINE
        transcript.audio_seconds = round(result.duration, 3)
        transcript.finished_at = timezone.now()
        transcript.processing_seconds = round(time.monotonic() - clock, 3)
        transcript.error = ""
        transcript.save()
    logger.info(
        "Transcribed recording %s: %s, %d segments, %.1f s audio in %.1f s",
        transcript.recording_id,
        transcript.status,
        len(segments),
        transcript.audio_seconds,
        transcript.processing_seconds,
    )


def record_lost_job(recording_id: int, error_class: str) -> None:
    """The job for this recording failed without the pipeline finishing it (see handlers)."""
    reason = MSG_WORKER_LOST if error_class.endswith("WorkerLost") else MSG_UNEXPECTED
    updated = Transcript.objects.filter(
        recording_id=recording_id, status__in=[Transcript.Status.QUEUED, Transcript.Status.RUNNING]
    ).update(status=Transcript.Status.FAILED, error=reason, finished_at=timezone.now())
    if updated:
        logger.error("Transcription job of recording %s failed (%s)", recording_id, error_class)


def _announce(transcript: Transcript) -> None:
    transaction.on_commit(
        lambda: transcript_changed.send(
            sender=Transcript, transcript=transcript, recording_id=transcript.recording_id
        ),
        robust=True,  # a listener's problem (e.g. the search engine down) must not fail the job
    )
