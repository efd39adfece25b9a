#!/usr/bin/env python
"""Word error rate with and without the prompt built from a session's metadata, side by side.

    .venv/bin/python bench/prompt.py [--cases dutch,jfk,demo] [--dutch 1] [--repeat 1]

Cases (each transcribed by transcripts.whisper.transcribe, the product path, once without and
once with the prompt of transcripts.prompt.build_prompt; the echo guard included):

* dutch: ../shared/data/dutch-dev/dutch-dev-N.mp3, real Dutch speech (batched pipeline, 8 min),
  reference = its lines in dutch-dev-N.json, metadata = its row of programme.csv (says little).
* jfk: ../shared/data/jfk.flac with the demo's metadata (title, speaker, summary naming the
  inaugural address).
* demo: the demo talks of library/demo/content.py, rendered by espeak-ng, with their metadata
  (titles, speakers and summaries that name what is said).

Columns: WER without / with the prompt and the difference; "terms" = of the words of the
prompt (5+ letters) that the speaker says, the share the transcript spells right, without /
with (what the prompt is for: names and jargon); echoes = segments dropped as prompt repeats.
Metadata without a summary gives no prompt (transcripts.prompt.MIN_SUMMARY_WORDS): the dev set's
rows have none; --any-metadata prompts them anyway, to measure that rule.
Temperature fallback makes Whisper sample at times, so --repeat N runs each case N times.
No Django needed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DATA = Path(os.environ.get("SHARED_DATA_DIR", REPO.parent / "shared" / "data"))


@dataclass
class Case:
    group: str
    name: str
    audio: object  # path or 16 kHz array
    language: str
    reference: str
    metadata: dict


def _split(value: str) -> list[str]:  # programme.csv lists are ';'-separated
    return [part.strip() for part in (value or "").split(";") if part.strip()]


def _programme(path: Path) -> dict[str, dict]:
    """A programme CSV's rows by file name."""
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["file"]: row for row in csv.DictReader(handle)}


def dutch_cases(numbers: list[str]) -> list[Case]:
    folder = DATA / "dutch-dev"
    rows = _programme(folder / "programme.csv")
    cases = []
    for number in numbers:
        name = f"dutch-dev-{number}"
        row = rows[f"{name}.mp3"]
        lines = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        metadata = dict(
            title=row["title"],
            speakers=_split(row["speakers"]),
            organisations=_split(row["organisation"]),
            themes=_split(row["themes"]),
            summary=row["summary"],
        )
        reference = " ".join(line["text"] for line in lines)
        cases.append(Case("real Dutch", name, folder / f"{name}.mp3", "nl", reference, metadata))
    return cases


def jfk_case() -> Case:
    shared = _programme(REPO / "library" / "demo" / "programme.csv")["jfk.flac"]  # as load_demo imports it
    metadata = dict(title=shared["title"], speakers=_split(shared["speakers"]), summary=shared["summary"])
    reference = (DATA / "jfk.txt").read_text(encoding="utf-8")
    return Case("real English", "jfk", DATA / "jfk.flac", "en", reference, metadata)


def demo_cases(tmp: Path) -> list[Case]:
    from library import media
    from library.demo import content
    from library.demo.render import speak

    themes = {theme["slug"]: theme["title"] for theme in content.THEMES}
    cases = []
    for talk in content.TALKS:
        wav = speak(talk["script"], talk["language"], tmp / f"{talk['slug']}.wav")
        metadata = dict(
            title=talk["title"],
            speakers=talk["speakers"],
            organisations=talk["organisations"],
            themes=[themes[slug] for slug in talk["themes"]],
            summary=talk["summary"],
        )
        group = f"espeak-ng {talk['language']}"
        cases.append(
            Case(group, talk["slug"], media.load_audio(wav), talk["language"], talk["script"], metadata)
        )
    return cases


def term_hits(prompt: str, reference: str, hypothesis: str) -> tuple[int, int]:
    """(spelled right, said): prompt words of 5+ letters, counted per occurrence in the reference."""
    from transcripts.accuracy import words

    terms = {w for w in words(prompt) if len(w) >= 5}
    said = Counter(w for w in words(reference) if w in terms)
    heard = Counter(w for w in words(hypothesis) if w in terms)
    return sum(min(n, heard[w]) for w, n in said.items()), sum(said.values())


def _ratio(hit: int, said: int) -> str:
    return f"{hit}/{said}" if said else "-"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", default="dutch,jfk,demo")
    parser.add_argument("--dutch", default="1", help="which dutch-dev sessions, e.g. 1,2")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--any-metadata",
        action="store_true",
        help="prompt even without a summary (measures the rule that metadata without one gives no prompt)",
    )
    args = parser.parse_args()

    from transcripts import whisper
    from transcripts.accuracy import word_error_rate, words
    from transcripts.prompt import build_prompt

    wanted = {c.strip() for c in args.cases.split(",") if c.strip()}
    config = whisper.WhisperConfig()
    whisper.get_model(config)
    print(
        f"model={config.model} beam={config.beam_size}/{config.batched_beam_size} (plain/batched) "
        f"words={config.word_timestamps} threads={config.threads}"
    )
    header = (
        f"{'group':<13} {'case':<34} {'words':>5} {'WER off':>7} {'WER on':>7} {'diff':>6} "
        f"{'terms off':>9} {'terms on':>8} {'echoes':>6} {'s off':>6} {'s on':>6}"
    )
    print(header)
    print("-" * len(header))
    totals: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-prompt-") as tmp:
        cases: list[Case] = []
        if "dutch" in wanted:
            cases += dutch_cases([n.strip() for n in args.dutch.split(",") if n.strip()])
        if "jfk" in wanted:
            cases.append(jfk_case())
        if "demo" in wanted:
            cases += demo_cases(Path(tmp))
        for case in cases:
            prompt = build_prompt(**case.metadata, **({"min_summary_words": 0} if args.any_metadata else {}))
            for _ in range(max(1, args.repeat)):
                row = {}
                for label, given in (("off", ""), ("on", prompt)):
                    t0 = time.perf_counter()
                    result = whisper.transcribe(case.audio, case.language, config, prompt=given)
                    seconds = time.perf_counter() - t0
                    text = result.text
                    row[label] = (
                        word_error_rate(case.reference, text),
                        term_hits(prompt, case.reference, text),
                        seconds,
                    )
                    if label == "on":
                        row["echoes"] = result.prompt_echoes
                n_words = len(words(case.reference))
                (wer_off, (hit_off, said), s_off), (wer_on, (hit_on, _), s_on) = row["off"], row["on"]
                print(
                    f"{case.group:<13} {case.name:<34} {n_words:>5} {wer_off:>7.3f} {wer_on:>7.3f} "
                    f"{wer_on - wer_off:>+6.3f} {_ratio(hit_off, said):>9} {_ratio(hit_on, said):>8} "
                    f"{row['echoes']:>6} {s_off:>6.1f} {s_on:>6.1f}",
                    flush=True,
                )
                total = totals.setdefault(case.group, [0.0, 0.0, 0.0, 0, 0, 0])
                total[0] += n_words
                total[1] += wer_off * n_words
                total[2] += wer_on * n_words
                total[3] += hit_off
                total[4] += hit_on
                total[5] += said
            print(f"{'':<13}   prompt: {prompt!r}" if prompt else f"{'':<13}   no prompt (no summary)")
    print()
    for group, (n, off, on, hit_off, hit_on, said) in totals.items():
        print(
            f"{group:<13} {'(word-weighted)':<34} {int(n):>5} {off / n:>7.3f} {on / n:>7.3f} "
            f"{(on - off) / n:>+6.3f} {_ratio(hit_off, said):>9} {_ratio(hit_on, said):>8}"
        )
    print(
        "\nWER = word error rate against the reference (transcripts.accuracy); off = no prompt, "
        "on = prompt from the metadata (WHISPER_PROMPT_FROM_METADATA=1)."
    )


if __name__ == "__main__":
    main()
