#!/usr/bin/env python
"""How well Whisper hears the demo's rendered talks: word error rate per talk and voice.

    .venv/bin/python bench/demo_voice.py [--language nl] [--voice "name=espeak args" ...]

Renders every demo talk of the language with espeak-ng (each voice setting given, by default
the old setting and library.demo.render.VOICES), transcribes it with the configured Whisper
model as the pipeline does, and prints the word error rate against the script."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django  # noqa: E402

django.setup()

from library.demo.content import TALKS  # noqa: E402
from library.demo.render import VOICES  # noqa: E402
from transcripts.accuracy import word_error_rate, words  # noqa: E402
from transcripts.whisper import WhisperConfig, transcribe  # noqa: E402

BEFORE = {"nl": "-v nl -s 150", "en": "-v en-gb -s 150"}  # the setting until December 2026


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--language", default="nl")
    parser.add_argument("--voice", action="append", help='"name=espeak-ng arguments"')
    args = parser.parse_args()
    voices = dict(v.split("=", 1) for v in args.voice) if args.voice else {
        "before": BEFORE[args.language],
        "now": " ".join(VOICES[args.language]),
    }  # fmt: skip
    config = WhisperConfig.from_environment()
    talks = [t for t in TALKS if t["language"] == args.language]
    with tempfile.TemporaryDirectory() as tmp:
        for name, espeak_args in voices.items():
            errors = total = 0.0
            for talk in talks:
                wav = Path(tmp) / f"{name}-{talk['slug']}.wav"
                subprocess.run(
                    ["espeak-ng", *espeak_args.split(), "-w", str(wav), talk["script"]], check=True
                )
                started = time.perf_counter()
                result = transcribe(str(wav), args.language, config)
                wer = word_error_rate(talk["script"], result.text)
                n = len(words(talk["script"]))
                errors, total = errors + wer * n, total + n
                print(f"{name:8} {talk['slug']:34} WER {wer:5.2f}  {result.duration:4.0f} s audio, "
                      f"{time.perf_counter() - started:4.0f} s  | {result.text[:90]}")  # fmt: skip
            print(f"{name:8} [{espeak_args}] word error rate over {int(total)} words: {errors / total:.3f}")


if __name__ == "__main__":
    main()
