"""Speech to text with faster-whisper, independent of Django.

``transcribe(audio, language, config)`` returns a :class:`TranscriptionResult`.

* Audio is a path (any recording ffmpeg reads; see :mod:`library.media`) or a float32
  16 kHz mono numpy array (what :func:`library.media.load_audio` returns).
* ``language`` is a Whisper language code (``"nl"``, ``"en"``…), passed to Whisper as-is, or
  ``"auto"``: the language is then detected, but only *among* ``config.allowed_languages`` (the
  most probable allowed one wins), and the transcript is made with that language fixed. Plain
  Whisper detection picks from ~100 languages and mislabels unusual audio (a Dutch sample came
  out as Latin).
* Silence is filtered out with the Silero VAD. **A recording without speech is not an error:
  the result has no segments** (``result.has_speech`` is False, ``result.language`` is ``""``
  when it was "auto"); the caller records that as status ``no_speech``.
* Short audio (<= :data:`LONG_AUDIO_SECONDS`) uses ``WhisperModel.transcribe``; longer audio
  uses ``BatchedInferencePipeline`` (up to ``batch_size`` VAD-cut windows of <= 30 s per
  forward pass, no conditioning on the previous window: about 30 % less CPU on long talks).
  ``batched=True/False`` forces either. Decoder memory grows with ``batch_size x beam_size``.
  With word timings, batched windows are decoded without timestamp tokens and cut into
  sentence-sized segments by their words (``config.segment_by_words``).
* With ``config.word_timestamps`` (the default) every segment carries faster-whisper's word
  timings, kept inside the segment and spelling its text exactly (see :class:`SegmentResult`).
* Long recordings are read from disk and transcribed in blocks of about :data:`BLOCK_SECONDS`,
  cut at the quietest moment near each boundary, so memory does not grow with their length.
* Unreadable recordings raise :class:`library.media.MediaError`; an unusable model setting
  raises :class:`transcripts.model_store.ModelStoreError` or :class:`EngineError`.

Models are loaded once per process and configuration (:func:`get_model`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from library import media
from transcripts.model_store import DEFAULT_MODEL, ModelStoreError, resolve_model
from transcripts.prompt import is_prompt_echo

logger = logging.getLogger(__name__)

AUTO = "auto"
SAMPLE_RATE = media.SAMPLE_RATE
#: Audio longer than this (seconds) goes through the batched pipeline unless ``batched`` says otherwise.
LONG_AUDIO_SECONDS = 60.0
#: Language detection looks at up to this much speech (in 30-s Whisper windows).
DETECT_SPEECH_SECONDS = 90.0
#: ... but stops after a window where one allowed language already has at least this probability.
DETECT_CONFIDENT = 0.8
#: ... found by running the VAD on the first this-many seconds (the whole file only if that has no speech).
DETECT_SCAN_SECONDS = 300.0
#: Long recordings are transcribed in blocks of about this many seconds (bounded memory) ...
BLOCK_SECONDS = 300.0
#: ... each cut at the quietest 20 ms within this many seconds before the nominal boundary.
CUT_SEARCH_SECONDS = 20.0
_WINDOW = 30 * SAMPLE_RATE
#: A prompt (see transcripts.prompt) steers at most about this many opening seconds of a
#: recording in the batched pipeline.
PROMPT_SECONDS = 30.0

__all__ = [
    "AUTO",
    "EngineError",
    "ModelStoreError",
    "SegmentResult",
    "TranscriptionResult",
    "WhisperConfig",
    "clear_model_cache",
    "detect_language",
    "get_model",
    "transcribe",
    "words_match_text",
]


class EngineError(RuntimeError):
    """A configuration or model problem (not the recording's fault)."""


def _default_threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _languages(value) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    return tuple(dict.fromkeys(code.strip().lower() for code in value if code and code.strip()))


#: WhisperConfig field -> the environment variable that sets it (README: Environment variables).
ENVIRONMENT = {
    "model": "WHISPER_MODEL",
    "device": "WHISPER_DEVICE",
    "compute_type": "WHISPER_COMPUTE_TYPE",
    "beam_size": "WHISPER_BEAM_SIZE",
    "batched_beam_size": "WHISPER_BATCHED_BEAM_SIZE",
    "batch_size": "WHISPER_BATCH_SIZE",
    "cpu_threads": "WHISPER_CPU_THREADS",
    "allowed_languages": "WHISPER_LANGUAGES",
    "word_timestamps": "WHISPER_WORD_TIMESTAMPS",
    "chunk_length": "WHISPER_CHUNK_LENGTH",
    "vad_min_silence_ms": "WHISPER_VAD_MIN_SILENCE_MS",
    "vad_speech_pad_ms": "WHISPER_VAD_SPEECH_PAD_MS",
    "vad_threshold": "WHISPER_VAD_THRESHOLD",
    "segment_by_words": "WHISPER_SEGMENT_BY_WORDS",
    "prompt_from_metadata": "WHISPER_PROMPT_FROM_METADATA",
}


def _parse(variable: str, text: str, default):
    """An environment variable's text as the type of the field's default."""
    if isinstance(default, bool):
        return text.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        try:
            return int(text)
        except ValueError:
            raise EngineError(f"{variable} must be a whole number, not {text!r}.") from None
    if isinstance(default, float):
        try:
            return float(text)
        except ValueError:
            raise EngineError(f"{variable} must be a number, not {text!r}.") from None
    return text  # strings; languages are split by WhisperConfig itself


@dataclass(frozen=True)
class WhisperConfig:
    model: str = DEFAULT_MODEL  # "bundled-base", a local CTranslate2 model dir, or a faster-whisper name
    device: str = "cpu"
    compute_type: str = "int8"
    beam_size: int = 5
    # Long recordings go through the batched pipeline. Measured on 2 cores (bench/transcribe.py,
    # 5 min): beam 5 14.1x real time, beam 2 18.6x, beam 1 22.7x; WER on JFK x10: 1.4 %, 0.5 %,
    # 6.8 %. Beam 2 is the fastest that keeps accuracy. Short audio keeps beam_size.
    # Dutch dev set, word timings on: beam 1 takes ~13 % less CPU, but WER 0.429 vs 0.407 and
    # recall@3 0.890 vs 0.904 (bench/findability.py), so beam 2 stays.
    batched_beam_size: int = 2
    batch_size: int = 4  # 8 costs ~400 MB more RSS at beam 5 and is no faster on CPU (bench)
    cpu_threads: int = 0  # 0: one per available core
    allowed_languages: tuple[str, ...] = ("nl", "en")
    # Word timings (Segment.words) let search links start at the matched word, not the segment.
    word_timestamps: bool = True
    # Batched pipeline only: the Silero VAD cuts speech where it pauses >= vad_min_silence_ms,
    # pads each piece by vad_speech_pad_ms, and packs pieces into windows of <= chunk_length s
    # (faster-whisper's batched defaults: 160 ms, 400 ms, threshold 0.5, 30 s). Measured on the
    # Dutch dev set: pad 200 ms packs 11 windows instead of 13 (dev-1), same WER and recall
    # within noise, +90 MB peak, speed gain lost in this machine's noise, so 400 ms stays.
    # Threshold 0.35 instead of 0.5 hears a line the VAD dropped ("Aaarggg! Zet het snel weer
    # uit!") for 3 % more audio: a line never transcribed can never be found (dev set
    # recall@3 0.949 -> 0.956, WER 0.407 -> 0.406, bench/findability.py).
    chunk_length: int = 30
    vad_min_silence_ms: int = 160
    vad_speech_pad_ms: int = 400
    vad_threshold: float = 0.35
    # Batched pipeline with word timings: decode without Whisper's timestamp tokens and cut each
    # window into sentences by its words (_split_sentences). With timestamp tokens the pipeline
    # drops a window's last segment whenever Whisper leaves it unclosed (it cannot seek back as
    # the plain pipeline does): whole lines went missing (faster-whisper issue 1179). Dutch dev
    # set (bench/findability.py, bench/transcribe.py): lines lost 6 -> 1, WER 0.415 -> 0.407,
    # recall@3 0.904 either way, and ~8 % less CPU (no timestamp tokens to decode).
    segment_by_words: bool = True
    # Give Whisper the session's title, names, themes and summary as its initial prompt
    # (transcripts.prompt); off by default: see bench/prompt.py for what it does to the WER.
    prompt_from_metadata: bool = False

    def __post_init__(self):
        object.__setattr__(self, "allowed_languages", _languages(self.allowed_languages))
        object.__setattr__(self, "model", str(self.model))

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None, **overrides) -> WhisperConfig:
        """Build from the ``WHISPER_*`` environment variables (:data:`ENVIRONMENT`), the
        defaults above for those unset: the one place they are read and their defaults kept.
        A value that is not a number or a switch raises :class:`EngineError` saying which."""
        environ = os.environ if environ is None else environ
        defaults = {f.name: f.default for f in fields(cls)}
        values = {}
        for name, variable in ENVIRONMENT.items():
            if variable in environ:
                values[name] = _parse(variable, environ[variable], defaults[name])
        values.update(overrides)
        return cls(**values)

    @property
    def threads(self) -> int:
        return self.cpu_threads if self.cpu_threads > 0 else _default_threads()

    @property
    def label(self) -> str:
        """For ``Transcript.model_name``, e.g. ``"bundled-base (cpu, int8)"``."""
        return f"{self.model} ({self.device}, {self.compute_type})"


@dataclass
class SegmentResult:
    start: float  # seconds from the start of the recording
    end: float
    text: str
    avg_logprob: float | None = None
    no_speech_prob: float | None = None
    # (start, end, word, probability); word as Whisper spells it, leading space included, so
    # "".join(w[2] for w in words).strip() == text. Empty when word timings are off.
    words: list[tuple[float, float, str, float]] = field(default_factory=list)


@dataclass
class TranscriptionResult:
    language: str  # code the transcript was made in; "" when "auto" found no speech
    language_probability: float | None  # detection probability (raw Whisper score); None if not detected
    duration: float  # seconds of audio
    segments: list[SegmentResult]
    batched: bool = False
    detected_languages: dict[str, float] = field(default_factory=dict)  # allowed language -> probability
    prompt_echoes: int = 0  # segments dropped as mere repeats of the prompt

    @property
    def has_speech(self) -> bool:
        return bool(self.segments)

    @property
    def text(self) -> str:
        return " ".join(segment.text for segment in self.segments)


# -- model cache ---------------------------------------------------------------------------------

_models: dict[tuple, object] = {}
_models_lock = threading.Lock()


def _model_key(config: WhisperConfig) -> tuple:
    return (config.model, config.device, config.compute_type, config.threads)


def get_model(config: WhisperConfig | None = None):
    """The ``faster_whisper.WhisperModel`` for ``config``, loaded once per process."""
    config = config or WhisperConfig()
    key = _model_key(config)
    model = _models.get(key)
    if model is not None:
        return model
    with _models_lock:
        model = _models.get(key)
        if model is None:
            from faster_whisper import WhisperModel

            location = resolve_model(config.model)
            try:
                model = WhisperModel(
                    location,
                    device=config.device,
                    compute_type=config.compute_type,
                    cpu_threads=config.threads,
                )
            except Exception as exc:  # hub download failures, bad compute types, missing CUDA...
                raise EngineError(f"Could not load the Whisper model {config.model!r}: {exc}") from exc
            logger.info("Loaded Whisper model %s from %s", config.label, location)
            _models[key] = model
    return model


def clear_model_cache() -> None:
    with _models_lock:
        _models.clear()


# -- helpers -------------------------------------------------------------------------------------


def _as_audio(audio) -> np.ndarray:
    if isinstance(audio, (str, os.PathLike, Path)):
        return media.load_audio(audio)
    array = np.asarray(audio)
    if array.ndim != 1:
        raise ValueError("audio must be a 1-D 16 kHz mono array (or a path)")
    return array.astype(np.float32, copy=False)


def _speech_chunks(audio: np.ndarray) -> list[dict]:
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    return get_speech_timestamps(audio, VadOptions(), sampling_rate=SAMPLE_RATE)


def _batched_vad(config: WhisperConfig) -> dict:
    # The pipeline adds max_speech_duration_s=chunk_length itself (a fresh dict: it pops keys).
    return {
        "min_silence_duration_ms": config.vad_min_silence_ms,
        "speech_pad_ms": config.vad_speech_pad_ms,
        "threshold": config.vad_threshold,
    }


def _check_language(model, code: str) -> str:
    if code not in model.supported_languages:
        raise EngineError(f"Whisper does not know the language code {code!r}.")
    return code


def detect_language(
    audio, allowed: Sequence[str], config: WhisperConfig | None = None
) -> tuple[str, float, dict[str, float]]:
    """Pick the most probable language of ``audio`` among ``allowed``.

    Looks at up to :data:`DETECT_SPEECH_SECONDS` of speech (VAD-filtered), one 30-s Whisper window
    at a time, averaging each allowed language's probability (weighted by window length), and
    stops early once one allowed language averages :data:`DETECT_CONFIDENT`. The probability is
    Whisper's raw score (not renormalised over the allowed languages).
    Returns ``(language, probability, {language: probability})``; language is ``""`` when the
    audio has no speech.
    """
    config = config or WhisperConfig()
    model = get_model(config)
    audio = _as_audio(audio)
    allowed = [_check_language(model, code) for code in _languages(allowed)]
    if not allowed:
        raise EngineError("No allowed languages configured (WHISPER_LANGUAGES is empty).")
    scan = int(DETECT_SCAN_SECONDS * SAMPLE_RATE)
    chunks = _speech_chunks(audio[:scan])
    if not chunks and audio.shape[0] > scan:
        chunks = [{"start": c["start"] + scan, "end": c["end"] + scan} for c in _speech_chunks(audio[scan:])]
    if not chunks:
        return "", 0.0, {}
    limit = int(DETECT_SPEECH_SECONDS * SAMPLE_RATE)
    pieces, taken = [], 0
    for chunk in chunks:
        piece = audio[chunk["start"] : chunk["end"]][: limit - taken]
        pieces.append(piece)
        taken += piece.shape[0]
        if taken >= limit:
            break
    speech = np.concatenate(pieces)
    totals = dict.fromkeys(allowed, 0.0)
    weight_sum = 0.0
    for offset in range(0, speech.shape[0], _WINDOW):
        window = speech[offset : offset + _WINDOW]
        if offset and window.shape[0] < SAMPLE_RATE:  # a sub-second tail adds nothing but noise
            break
        _, _, probs = model.detect_language(audio=window, language_detection_segments=1)
        weight = window.shape[0] / _WINDOW
        by_code = dict(probs)
        for code in allowed:
            totals[code] += weight * float(by_code.get(code, 0.0))
        weight_sum += weight
        if max(totals.values()) / weight_sum >= DETECT_CONFIDENT:
            break  # clear after this window: each further window costs a full encoder pass
    scores = {code: total / weight_sum for code, total in totals.items()}
    best = max(allowed, key=lambda code: scores[code])
    return best, scores[best], scores


def _words(raw, start: float, end: float, offset: float) -> list[tuple[float, float, str, float]]:
    """faster-whisper's word timings for one segment, moved to recording time and kept inside
    the segment (the batched pipeline's cross-attention times can stray a few ms outside it)."""
    found = []
    for w in raw.words or ():
        word_start = min(max(start, offset + float(w.start)), end)  # float(): numpy scalars in, JSON out
        word_end = min(max(word_start, offset + float(w.end)), end)
        found.append((round(word_start, 3), round(word_end, 3), w.word, round(float(w.probability), 4)))
    return found


def words_match_text(words: Sequence[Sequence], text: str) -> bool:
    """Whether word timings still spell ``text`` (each word carries its leading space)."""
    return "".join(w[2] for w in words).strip() == text


def _segment(raw, offset: float, duration: float, words: bool) -> SegmentResult | None:
    text = raw.text.strip()
    if not text:
        return None
    start = min(max(0.0, offset + float(raw.start)), duration)
    end = min(max(start, offset + float(raw.end)), duration)
    word_list = _words(raw, start, end, offset) if words else []
    if word_list and not words_match_text(word_list, text):
        logger.warning("Word timings do not spell segment %r; stored without them", text[:60])
        word_list = []
    return SegmentResult(
        start=round(start, 3),
        end=round(end, 3),
        text=text,
        avg_logprob=float(raw.avg_logprob) if raw.avg_logprob is not None else None,
        no_speech_prob=float(raw.no_speech_prob) if raw.no_speech_prob is not None else None,
        words=word_list,
    )


#: A batched window decoded without timestamp tokens is one segment of up to 30 s; it is cut
#: after a word that ends a sentence, and where its words pause at least this long.
SPLIT_PAUSE_SECONDS = 0.5
_SENTENCE_END = re.compile(r"[.?!…][\"'”’)\]]*$")


def _split_sentences(segment: SegmentResult) -> list[SegmentResult]:
    """``segment`` cut into sentence-sized segments by its word timings (kept as is without)."""
    pieces: list[list[tuple]] = []
    for word in segment.words:
        if pieces and (
            word[0] - pieces[-1][-1][1] >= SPLIT_PAUSE_SECONDS or _SENTENCE_END.search(pieces[-1][-1][2])
        ):
            pieces.append([])
        if not pieces:
            pieces.append([])
        pieces[-1].append(word)
    if len(pieces) < 2:
        return [segment]
    return [
        SegmentResult(
            start=piece[0][0],
            end=piece[-1][1],
            text="".join(w[2] for w in piece).strip(),
            avg_logprob=segment.avg_logprob,
            no_speech_prob=segment.no_speech_prob,
            words=piece,
        )
        for piece in pieces
    ]


# -- transcription -------------------------------------------------------------------------------


class _ArrayReader:
    def __init__(self, audio: np.ndarray):
        self._audio = audio
        self._pos = 0
        self.frames = audio.shape[0]

    def read(self, frames: int) -> np.ndarray:
        block = self._audio[self._pos : self._pos + frames]
        self._pos += block.shape[0]
        return block


@contextlib.contextmanager
def _open(audio):
    if isinstance(audio, (str, os.PathLike)):
        with media.open_audio(audio) as reader:
            yield reader
    else:
        yield _ArrayReader(_as_audio(audio))


def _quiet_cut(audio: np.ndarray, search: int) -> int:
    """Index of the quietest 20 ms in the last ``search`` samples: where to split a long recording."""
    frame = SAMPLE_RATE // 50
    start = max(0, audio.shape[0] - search)
    tail = audio[start:]
    usable = (tail.shape[0] // frame) * frame
    if usable < frame:
        return audio.shape[0]
    energy = np.square(tail[:usable].reshape(-1, frame)).mean(axis=1)
    return start + int(np.argmin(energy)) * frame + frame // 2


def _blocks(reader, block_seconds: float):
    """Yield ``(offset_samples, audio)`` blocks of about ``block_seconds``, split at quiet moments."""
    block = int(block_seconds * SAMPLE_RATE)
    search = min(int(CUT_SEARCH_SECONDS * SAMPLE_RATE), block // 2)
    carry = np.empty(0, dtype=np.float32)
    offset = 0
    while True:
        need = block - carry.shape[0]
        fresh = reader.read(need)
        audio = np.concatenate([carry, fresh]) if carry.shape[0] else fresh
        if fresh.shape[0] < need or offset + audio.shape[0] >= reader.frames:
            if audio.shape[0]:
                yield offset, audio
            return
        cut = _quiet_cut(audio, search)
        yield offset, audio[:cut]
        carry = audio[cut:].copy()
        offset += cut


def _prompted_pieces(offset: int, block: np.ndarray, prompt: str, pipeline):
    """``(offset, audio, prompt)`` pieces of one block. Where the batched pipeline is to be
    prompted, the block's first :data:`PROMPT_SECONDS` (cut at a quiet moment) become a piece of
    their own: the batched pipeline gives its prompt to every 30-s window, and beyond the
    opening (where titles and names are said) a prompt only makes the model drift towards it.
    The plain pipeline is prompted once and conditions each window on the text before it."""
    head = int(PROMPT_SECONDS * SAMPLE_RATE)
    if not prompt or pipeline is None or block.shape[0] <= head + SAMPLE_RATE:
        return [(offset, block, prompt)]
    cut = _quiet_cut(block[:head], head // 3)
    return [(offset, block[:cut], prompt), (offset + cut, block[cut:], "")]


def transcribe(
    audio,
    language: str | None = AUTO,
    config: WhisperConfig | None = None,
    batched: bool | None = None,
    *,
    on_progress: Callable[[float], None] | None = None,
    prompt: str = "",
) -> TranscriptionResult:
    """Transcribe ``audio`` (path or float32 16 kHz mono array). See the module docstring.

    ``prompt`` (see :mod:`transcripts.prompt`) is given to Whisper as its initial prompt, as
    text that came before the audio; segments that merely repeat it are dropped.

    Long recordings are processed in blocks of about :data:`BLOCK_SECONDS`, split at the
    quietest moment near each boundary and read from disk block by block, so memory stays flat
    whatever the length. ``on_progress(fraction)`` is called after each segment (0..1).
    An empty ``segments`` list means no speech.
    """
    config = config or WhisperConfig()
    model = get_model(config)
    code = (language or AUTO).strip().lower()
    probability: float | None = None
    scores: dict[str, float] = {}
    if code == AUTO:
        allowed = [_check_language(model, c) for c in config.allowed_languages]
        if not allowed:
            raise EngineError("No allowed languages configured (WHISPER_LANGUAGES is empty).")
        if len(allowed) == 1:
            code = allowed[0]
    else:
        code = _check_language(model, code)

    segments: list[SegmentResult] = []
    with _open(audio) as reader:
        duration = reader.frames / SAMPLE_RATE
        use_batched = duration > LONG_AUDIO_SECONDS if batched is None else bool(batched)
        pipeline = None
        if use_batched:
            from faster_whisper import BatchedInferencePipeline

            pipeline = BatchedInferencePipeline(model)
        split = pipeline is not None and config.word_timestamps and config.segment_by_words
        pending = (prompt or "").strip()  # only the first piece with speech is prompted
        echoes = 0
        for offset, block in _blocks(reader, BLOCK_SECONDS):
            if code == AUTO:
                found, probability, scores = detect_language(block, allowed, config)
                if not found:
                    continue  # no speech in this block: nothing to transcribe, keep looking
                code = found
                logger.info("Detected language %s (%.2f) among %s", code, probability, scores)
            options = dict(
                language=code,
                task="transcribe",
                beam_size=config.batched_beam_size if pipeline is not None else config.beam_size,
                vad_filter=True,
                word_timestamps=config.word_timestamps,
            )
            for piece_offset, piece, piece_prompt in _prompted_pieces(offset, block, pending, pipeline):
                pending = ""
                if pipeline is not None:
                    raw_segments, _info = pipeline.transcribe(
                        piece,
                        batch_size=config.batch_size,
                        chunk_length=config.chunk_length,
                        vad_parameters=_batched_vad(config),
                        without_timestamps=split,
                        initial_prompt=piece_prompt or None,
                        **options,
                    )
                else:
                    raw_segments, _info = model.transcribe(
                        piece, initial_prompt=piece_prompt or None, **options
                    )
                start = piece_offset / SAMPLE_RATE
                for raw in raw_segments:  # a generator: the work happens while iterating
                    segment = _segment(raw, start, duration, config.word_timestamps)
                    parts = [] if segment is None else _split_sentences(segment) if split else [segment]
                    for part in parts:
                        if prompt and is_prompt_echo(part.text, prompt):
                            logger.info("Dropped a segment that repeats the prompt: %r", part.text[:80])
                            echoes += 1
                        else:
                            segments.append(part)
                    if on_progress is not None and duration:
                        on_progress(min(1.0, (start + float(raw.end)) / duration))
    segments.sort(key=lambda s: (s.start, s.end))
    if code == AUTO:  # no block had speech
        return TranscriptionResult("", None, duration, [], use_batched, {})
    return TranscriptionResult(code, probability, duration, segments, use_batched, scores, echoes)
