"""Whisper's initial prompt from what editors typed about a session, and the guard against its
known failure.

Whisper reads an initial prompt as "the text before this audio": names and jargon in it come
out spelled right (``Rijksdienst voor Digitale Dienstverlening`` rather than ``rijksdienst voor
digitale dienst verlening``). The known failure: on silence, music or unclear speech the model
may repeat the prompt instead of transcribing. Hence

* there is a prompt only when the session has a summary of a few words
  (:data:`MIN_SUMMARY_WORDS`): a title and names alone ("Oefensessie 1. Spreker Een, Spreker
  Twee.") gave the model nothing to spell and raised the WER on real Dutch speech, and a prompt
  of names alone sent it into a loop on a demo talk (bench/prompt.py);
* the prompt is short (:data:`MAX_PROMPT_CHARS`), names first, the summary last and cut;
* :func:`is_prompt_echo` recognises a segment that only repeats a stretch of the prompt, so
  the engine drops it (:func:`transcripts.whisper.transcribe`).

:func:`build_prompt` is Django-free; :func:`prompt_for_recording` reads the sessions when the
transcription runs (editing the metadata later does not transcribe again; "Transcribe again" does).

Measured (bench/prompt.py, base model): names and jargon of the metadata that the speaker says
came out right 7 of 8 times with the prompt against 1 of 8 without (demo talks in Dutch), but
the WER of those talks did not improve, and on real Dutch speech with a summary-less programme
a prompt raised it (0.415 -> 0.425). Hence WHISPER_PROMPT_FROM_METADATA is off by default.
"""

from __future__ import annotations

from collections.abc import Iterable

from .accuracy import words

#: Whisper takes up to 223 prompt tokens; a long prompt is both slower and likelier to be echoed.
MAX_PROMPT_CHARS = 240
#: Without a summary of at least this many words there is no prompt (see the module docstring).
MIN_SUMMARY_WORDS = 5
#: A segment is a prompt echo when all its words are one stretch of the prompt of at least this
#: many words, or of at least half the prompt (whichever is smaller, and never under 3 words):
#: a speaker may well say a title, but hardly reads out a whole line of names and summary.
ECHO_MIN_WORDS = 6


def _clean(text: str) -> str:
    return " ".join(str(text or "").split())


def _unique(values: Iterable[str], seen: set[str]) -> list[str]:
    found = []
    for value in values:
        value = _clean(value)
        key = value.casefold()
        if value and key not in seen:
            seen.add(key)
            found.append(value)
    return found


def _cut(text: str, room: int) -> str:
    """``text`` cut at a word boundary to at most ``room`` characters."""
    if len(text) <= room:
        return text
    cut = text[: room + 1].rsplit(" ", 1)[0] if " " in text[: room + 1] else ""
    return cut.rstrip(" ,;:-")


def build_prompt(
    title: str = "",
    speakers: Iterable[str] = (),
    organisations: Iterable[str] = (),
    themes: Iterable[str] = (),
    summary: str = "",
    max_chars: int = MAX_PROMPT_CHARS,
    min_summary_words: int = MIN_SUMMARY_WORDS,
) -> str:
    """One short text from a session's metadata, e.g.
    ``"Open data en de burger. Pieter Jansen, Gemeente Zandvoorde. Digitale overheid. Een
    gemeente publiceert haar data open; wat levert dat op?"``.

    Title, then names (speakers and organisations), then themes, then the summary; each part
    once (case-insensitively), cut at a word boundary so the whole fits ``max_chars``. Parts that
    no longer fit are left out whole, except the summary, which is cut. Metadata without a
    summary of ``min_summary_words`` words gives ``""`` (no prompt; 0 measures without the rule)."""
    if len(words(summary or "")) < min_summary_words:
        return ""
    seen: set[str] = set()
    parts = [
        ", ".join(_unique([title], seen)),
        ", ".join(_unique(list(speakers) + list(organisations), seen)),
        ", ".join(_unique(themes, seen)),
    ]
    summary = _clean(summary)
    prompt = ""
    for part in parts:
        sentence = part if not part or part[-1] in ".!?" else part + "."
        if part and len(f"{prompt} {sentence}".strip()) <= max_chars - 20:  # room for the summary
            prompt = f"{prompt} {sentence}".strip()
    cut = _cut(summary, max_chars - len(prompt) - 1)
    if min_summary_words and len(words(cut)) < 3:  # names without a sentence about the talk: no prompt
        return ""
    return f"{prompt} {cut}".strip()


def is_prompt_echo(text: str, prompt: str) -> bool:
    """Whether segment ``text`` is nothing but a stretch of ``prompt`` (Whisper repeating its
    prompt into silence): all its words, in order, found together in the prompt, and that stretch
    long enough (see :data:`ECHO_MIN_WORDS`) that it is unlikely to be a speaker saying a title."""
    said, given = words(text), words(prompt)
    if not said or not given:
        return False
    needed = max(3, min(ECHO_MIN_WORDS, (len(given) + 1) // 2))
    if len(said) < needed:
        return False
    n = len(said)
    return any(given[i : i + n] == said for i in range(len(given) - n + 1))


def prompt_for_recording(recording) -> str:
    """The prompt for ``recording`` from the session(s) using it: live sessions first, their
    titles, speakers, organisations, live themes and summaries, in that order of priority."""
    sessions = list(recording.sessions.order_by("-live", "pk"))
    if not sessions:
        return ""
    return build_prompt(
        title=" / ".join(dict.fromkeys(_clean(s.title) for s in sessions if _clean(s.title))),
        speakers=[name for s in sessions for name in s.speaker_names],
        organisations=[name for s in sessions for name in s.organisation_names],
        themes=[title for s in sessions for title in s.theme_titles],
        summary=" ".join(dict.fromkeys(_clean(s.summary) for s in sessions if _clean(s.summary))),
    )
