#!/usr/bin/env python
"""Benchmark the transcription pipeline (extract_audio + transcribe) on the shared recordings.

    .venv/bin/python bench/transcribe.py [--modes plain,batched] [--words off,on] [--minutes 5]
        [--language auto] [--long FILE ...] [--repeat N] [--settings "A;B;..."] [--keep DIR]

For each recording in ../shared/data, plus a long file (>= --minutes) made with ffmpeg by
concatenating them repeatedly (or --long FILE, e.g. ../shared/data/dutch-dev/dutch-dev-1.mp3;
repeat --long for several), each mode runs with word timings off and on (side by side), each
run in a fresh subprocess so its peak memory (ru_maxrss, model included) is its own. --repeat
runs every row N times. Wall time covers extract_audio + transcribe, not the one-off model load
(reported separately). "x real time" = audio seconds / wall seconds. No Django needed.

--settings compares WhisperConfig settings side by side: ";"-separated, each a ","-separated
list of field=value, e.g. "batched_beam_size=2;batched_beam_size=1,batch_size=8" (an empty
one is the defaults). Where a recording has timed reference lines beside it (<stem>.json, as
in ../shared/data/dutch-dev), each row also gives the word error rate (transcripts.accuracy,
as bench/findability.py computes it) and the lines lost: reference lines with no transcribed
word at all (needs word timings). --keep DIR writes each run's segments there as JSON.
Targets (2 cores, base model, int8): >= 15x real time, <= 1 GB peak.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DATA = Path(os.environ.get("SHARED_DATA_DIR", REPO.parent / "shared" / "data"))
RECORDINGS = ("jfk.flac", "multilingual.mp3", "stereo_diarization.wav")
TARGET_SPEED = 15.0
TARGET_RSS_MB = 1024.0


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # ffmpeg
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def worker(path: str, mode: str, language: str, config_json: str, cold: bool, keep: str) -> None:
    """One measured run; prints a JSON line."""
    from library import media
    from transcripts import accuracy, whisper

    config = whisper.WhisperConfig(**json.loads(config_json))
    batched = mode == "batched"
    t0 = time.perf_counter()
    whisper.get_model(config)
    load_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory(prefix="bench-transcribe-") as tmp:
        if not cold:  # one-off lazy initialisation (VAD session, first inference), like a warm worker
            warm = media.load_audio(path)[: 30 * media.SAMPLE_RATE]
            whisper.transcribe(warm, language, config, batched=batched)
        load_avg = os.getloadavg()[0]
        c1, t1 = _cpu_seconds(), time.perf_counter()
        wav = media.extract_audio(path, Path(tmp) / "audio.wav")
        t2 = time.perf_counter()
        result = whisper.transcribe(wav, language, config, batched=batched)
        t3, c3 = time.perf_counter(), _cpu_seconds()
    quality = _quality(path, result, accuracy)
    if keep:
        segments = [vars(segment) for segment in result.segments]
        Path(keep).write_text(json.dumps({"config": json.loads(config_json), "segments": segments}))
    print(
        json.dumps(
            {
                "audio_s": result.duration,
                "extract_s": t2 - t1,
                "transcribe_s": t3 - t2,
                "wall_s": t3 - t1,
                "cpu_s": c3 - c1,
                "load_s": load_s,
                "load_avg": load_avg,
                "language": result.language,
                "segments": len(result.segments),
                "words": len(result.text.split()),
                "timed_words": sum(len(segment.words) for segment in result.segments),
                "self_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                **quality,
            }
        )
    )


def _quality(path: str, result, accuracy) -> dict:
    """WER and lost lines against the timed reference beside ``path``, if there is one."""
    reference = accuracy.timed_reference(path)
    if reference is None:
        return {}
    said = " ".join(line["text"] for line in reference)
    figures = {"wer": accuracy.word_error_rate(said, result.text), "text": result.text, "reference": said}
    midpoints = [(w[0] + w[1]) / 2 for segment in result.segments for w in segment.words]
    if midpoints:
        lost = accuracy.lost_lines(reference, midpoints)
        figures["lost"] = [f"{line['start']:.1f} {line['text']}" for line in lost]
    return figures


def parse_settings(text: str) -> list[tuple[str, dict]]:
    """ "a=1,b=x;c=2" -> [("a=1,b=x", {"a": 1, "b": "x"}), ("c=2", {"c": 2})]: WhisperConfig
    fields, each value read as the type of the field's default."""
    from dataclasses import fields

    from transcripts.whisper import WhisperConfig

    defaults = {f.name: f.default for f in fields(WhisperConfig)}
    settings = []
    for label in (part.strip() for part in text.split(";")):
        values = {}
        for item in filter(None, (i.strip() for i in label.split(","))):
            name, _, value = item.partition("=")
            name = name.strip()
            if name not in defaults:
                raise SystemExit(f"--settings: {name!r} is not a WhisperConfig field ({', '.join(defaults)})")
            default = defaults[name]
            if isinstance(default, bool):
                values[name] = value.strip().lower() in {"1", "true", "yes", "on"}
            elif isinstance(default, (int, float)):
                values[name] = type(default)(value)
            else:
                values[name] = value.strip()
        settings.append((label or "defaults", values))
    return settings


def measure(path: Path, mode: str, language: str, config: dict, cold: bool, keep: str = "") -> dict:
    cmd = [sys.executable, __file__, "--worker", str(path), "--mode", mode, "--language", language]
    cmd += (
        ["--config", json.dumps(config)] + (["--cold"] if cold else []) + (["--keep", keep] if keep else [])
    )
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    # wait4 gives this child's own rusage (including the ffmpeg it ran): a per-run peak RSS.
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"run failed for {path} ({mode}):\n{err.decode(errors='replace')[-3000:]}")
    row = json.loads(out.decode().strip().splitlines()[-1])
    row["peak_rss_mb"] = max(usage.ru_maxrss, row["self_maxrss_kb"]) / 1024
    return row


def build_long(tmp: Path, minutes: float) -> Path:
    """Concatenate the shared recordings (as 16 kHz mono) with ffmpeg until >= minutes long."""
    from library import media

    parts, total = [], 0.0
    for name in RECORDINGS:
        wav = media.extract_audio(DATA / name, tmp / f"{Path(name).stem}.wav")
        parts.append((wav, media.probe(wav).duration))
    listing, i = [], 0
    while total < minutes * 60:
        wav, seconds = parts[i % len(parts)]
        listing.append(f"file '{wav}'")
        total += seconds
        i += 1
    (tmp / "list.txt").write_text("\n".join(listing) + "\n")
    out = tmp / f"long-{int(total)}s.mp3"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "concat", "-safe", "0", "-i", str(tmp / "list.txt")]
        + ["-c:a", "libmp3lame", "-b:a", "64k", "-y", str(out)],
        check=True,
    )
    return out


def print_totals(totals: dict, width: int) -> None:
    """One line per setting over all its runs (files and repeats)."""
    from transcripts.accuracy import word_error_rate

    print("\nAll runs per setting (WER over all the text, as bench/findability.py counts it):")
    print(
        f"{'setting':<{width}} {'mode':<8} {'words':>5} {'runs':>4} {'x real':>7} {'x real/cpu':>10} "
        f"{'peak MB':>8} {'WER':>6} {'lost':>4}"
    )
    for (label, mode, words), t in totals.items():
        wer = f"{word_error_rate(' '.join(t['said']), ' '.join(t['heard'])):.3f}" if "said" in t else "-"
        print(
            f"{label:<{width}} {mode:<8} {'on' if words else 'off':>5} {t['runs']:>4} "
            f"{t['audio'] / t['wall']:>6.1f}x {t['audio'] / t['cpu']:>9.1f}x {t['peak']:>8.0f} {wer:>6} "
            f"{t.get('lost', '-'):>4}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--modes", default="plain,batched")
    parser.add_argument("--words", default="off,on", help="word timings: off, on or both (off,on)")
    parser.add_argument(
        "--long",
        action="append",
        help="use this recording as the long file instead of a concatenation (repeatable)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per row (the machine may be shared)")
    parser.add_argument("--minutes", type=float, default=5.0, help="length of the concatenated file")
    parser.add_argument("--language", default="auto")
    parser.add_argument("--model", default=None)
    parser.add_argument("--beam-size", type=int, default=None)
    parser.add_argument("--batched-beam-size", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--settings", default="", help='WhisperConfig settings to compare: "a=1,b=2;c=3"')
    parser.add_argument("--keep", type=Path, help="write each run's segments (JSON) into this folder")
    parser.add_argument("--lost", action="store_true", help="list the lost reference lines of each run")
    parser.add_argument("--only-long", action="store_true", help="skip the individual recordings")
    parser.add_argument("--cold", action="store_true", help="no warm-up transcription before the timed run")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    parser.add_argument("--config", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.mode, args.language, args.config, args.cold, str(args.keep or ""))
        return

    config = {
        key: value
        for key, value in {
            "model": args.model,
            "beam_size": args.beam_size,
            "batched_beam_size": args.batched_beam_size,
            "batch_size": args.batch_size,
            "cpu_threads": args.threads,
        }.items()
        if value is not None
    }
    missing = [name for name in RECORDINGS if not (DATA / name).is_file()]
    if missing and not (args.only_long and args.long):
        raise SystemExit(f"recordings missing in {DATA}: {', '.join(missing)}")
    settings = parse_settings(args.settings)

    from transcripts import model_store, whisper

    model_store.resolve_model(config.get("model", model_store.DEFAULT_MODEL))  # join once, outside timings
    cfg = whisper.WhisperConfig(**config)
    print(
        f"model={cfg.model} device={cfg.device} compute={cfg.compute_type} "
        f"beam={cfg.beam_size}/{cfg.batched_beam_size} (plain/batched) "
        f"batch={cfg.batch_size} threads={cfg.threads} cores={os.cpu_count()} language={args.language}"
    )
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    word_settings = [w.strip() == "on" for w in args.words.split(",") if w.strip()]
    width = max(8, *(len(label) for label, _ in settings))
    header = (
        f"{'setting':<{width}} {'file':<22} {'mode':<8} {'words':>5} {'audio s':>8} {'wall s':>7} "
        f"{'x real':>7} {'cpu s':>6} {'x real/cpu':>10} {'peak MB':>8} {'load':>5} {'lang':>4} "
        f"{'segs':>5} {'WER':>6} {'lost':>4}  target"
    )
    print(header)
    print("-" * len(header))
    threads = cfg.threads
    totals: dict[tuple, dict] = {}
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-long-") as tmp:
        files = [] if args.only_long else [DATA / name for name in RECORDINGS]
        files += [Path(f) for f in args.long] if args.long else [build_long(Path(tmp), args.minutes)]
        # Settings (and words off/on) alternate within each repeat, so a burst of load on the
        # shared machine does not fall on one setting only.
        runs = [
            (path, mode, words, label, values)
            for path in files
            for mode in modes
            for _ in range(max(1, args.repeat))
            for label, values in settings
            for words in word_settings
        ]
        for n, (path, mode, words, label, values) in enumerate(runs):
            keep = str(args.keep / f"{n:03d}-{path.stem}.json") if args.keep else ""
            row = measure(
                path, mode, args.language, {**config, **values, "word_timestamps": words}, args.cold, keep
            )
            speed = row["audio_s"] / row["wall_s"] if row["wall_s"] else float("inf")
            # What the run would take with its threads to itself: audio / (cpu seconds / threads).
            row_threads = values.get("cpu_threads") or threads
            cpu_speed = row["audio_s"] * row_threads / row["cpu_s"] if row["cpu_s"] else float("inf")
            ok = speed >= TARGET_SPEED and row["peak_rss_mb"] <= TARGET_RSS_MB
            wer = f"{row['wer']:.3f}" if "wer" in row else "-"
            lost = str(len(row["lost"])) if "lost" in row else "-"
            print(
                f"{label:<{width}} {path.name[:22]:<22} {mode:<8} {'on' if words else 'off':>5} "
                f"{row['audio_s']:>8.1f} {row['wall_s']:>7.2f} {speed:>6.1f}x {row['cpu_s']:>6.1f} "
                f"{cpu_speed:>9.1f}x {row['peak_rss_mb']:>8.0f} {row['load_avg']:>5.1f} {row['language']:>4} "
                f"{row['segments']:>5} {wer:>6} {lost:>4}  {'ok' if ok else 'MISSED'}",
                flush=True,
            )
            if args.lost:
                for line in row.get("lost", []):
                    print(f"    lost: {line}")
            total = totals.setdefault(
                (label, mode, words), {"runs": 0, "audio": 0.0, "wall": 0.0, "cpu": 0.0}
            )
            total["runs"] += 1
            total["audio"] += row["audio_s"]
            total["wall"] += row["wall_s"]
            total["cpu"] += row["cpu_s"] / row_threads
            total["peak"] = max(total.get("peak", 0.0), row["peak_rss_mb"])
            if "wer" in row:
                total.setdefault("said", []).append(row["reference"])
                total.setdefault("heard", []).append(row["text"])
                total["lost"] = total.get("lost", 0) + len(row.get("lost", []))
    if len(runs) > len(totals):
        print_totals(totals, width)
    print(
        "\nx real = audio s / wall s (extract_audio + transcribe; model load and a warm-up run excluded).\n"
        f"x real/cpu = audio s / (cpu s / {threads} threads): the speed with the cores to itself; "
        "it differs from x real when other processes compete (load = 1-min load average before the run).\n"
        "words = word timings (word_timestamps) off or on. WER and lost (reference lines with no word\n"
        "transcribed) where the recording has timed reference lines beside it.\n"
        f"peak MB = max RSS of the run's process (model included). "
        f"Targets: >= {TARGET_SPEED:.0f}x real time, <= {TARGET_RSS_MB:.0f} MB."
    )


if __name__ == "__main__":
    main()
