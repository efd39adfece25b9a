#!/usr/bin/env python
"""Benchmark the transcription pipeline (extract_audio + transcribe) on the shared recordings.

    .venv/bin/python bench/transcribe.py [--modes plain,batched] [--words off,on] [--minutes 5]
        [--language auto] [--long FILE] [--repeat N]

For each recording in ../shared/data, plus a long file (>= --minutes) made with ffmpeg by
concatenating them repeatedly (or --long FILE, e.g. ../shared/data/dutch-dev/dutch-dev-1.mp3),
each mode runs with word timings off and on (side by side), each run in a fresh subprocess so
its peak memory (ru_maxrss, model included) is its own. --repeat runs every row N times.
Wall time covers extract_audio + transcribe, not the one-off model load (reported separately).
"x real time" = audio seconds / wall seconds. No Django needed.
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


def worker(path: str, mode: str, language: str, config_json: str, cold: bool) -> None:
    """One measured run; prints a JSON line."""
    from library import media
    from transcripts import whisper

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
            }
        )
    )


def measure(path: Path, mode: str, language: str, config: dict, cold: bool) -> dict:
    cmd = [sys.executable, __file__, "--worker", str(path), "--mode", mode, "--language", language]
    cmd += ["--config", json.dumps(config)] + (["--cold"] if cold else [])
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--modes", default="plain,batched")
    parser.add_argument("--words", default="off,on", help="word timings: off, on or both (off,on)")
    parser.add_argument("--long", help="use this recording as the long file instead of a concatenation")
    parser.add_argument("--repeat", type=int, default=1, help="runs per row (the machine may be shared)")
    parser.add_argument("--minutes", type=float, default=5.0, help="length of the concatenated file")
    parser.add_argument("--language", default="auto")
    parser.add_argument("--model", default=None)
    parser.add_argument("--beam-size", type=int, default=None)
    parser.add_argument("--batched-beam-size", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--only-long", action="store_true", help="skip the individual recordings")
    parser.add_argument("--cold", action="store_true", help="no warm-up transcription before the timed run")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    parser.add_argument("--config", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.mode, args.language, args.config, args.cold)
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
    if missing:
        raise SystemExit(f"recordings missing in {DATA}: {', '.join(missing)}")

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
    header = (
        f"{'file':<24} {'mode':<8} {'words':>5} {'audio s':>8} {'wall s':>7} {'x real':>7} {'cpu s':>6} "
        f"{'x real/cpu':>10} {'peak MB':>8} {'load':>5} {'lang':>4} {'segs':>5}  target"
    )
    print(header)
    print("-" * len(header))
    threads = cfg.threads
    with tempfile.TemporaryDirectory(prefix="bench-long-") as tmp:
        files = [] if args.only_long else [DATA / name for name in RECORDINGS]
        files.append(Path(args.long) if args.long else build_long(Path(tmp), args.minutes))
        # Off and on alternate within each repeat, so a burst of load on the shared machine
        # does not fall on one setting only.
        runs = [
            (path, mode, words)
            for path in files
            for mode in modes
            for _ in range(max(1, args.repeat))
            for words in word_settings
        ]
        for path, mode, words in runs:
            row = measure(path, mode, args.language, {**config, "word_timestamps": words}, args.cold)
            speed = row["audio_s"] / row["wall_s"] if row["wall_s"] else float("inf")
            # What the run would take with its threads to itself: audio / (cpu seconds / threads).
            cpu_speed = row["audio_s"] * threads / row["cpu_s"] if row["cpu_s"] else float("inf")
            ok = speed >= TARGET_SPEED and row["peak_rss_mb"] <= TARGET_RSS_MB
            print(
                f"{path.name:<24} {mode:<8} {'on' if words else 'off':>5} {row['audio_s']:>8.1f} "
                f"{row['wall_s']:>7.2f} {speed:>6.1f}x {row['cpu_s']:>6.1f} {cpu_speed:>9.1f}x "
                f"{row['peak_rss_mb']:>8.0f} {row['load_avg']:>5.1f} {row['language']:>4} "
                f"{row['segments']:>5}  {'ok' if ok else 'MISSED'}",
                flush=True,
            )
    print(
        "\nx real = audio s / wall s (extract_audio + transcribe; model load and a warm-up run excluded).\n"
        f"x real/cpu = audio s / (cpu s / {threads} threads): the speed with the cores to itself; "
        "it differs from x real when other processes compete (load = 1-min load average before the run).\n"
        "words = word timings (word_timestamps) off or on.\n"
        f"peak MB = max RSS of the run's process (model included). "
        f"Targets: >= {TARGET_SPEED:.0f}x real time, <= {TARGET_RSS_MB:.0f} MB."
    )


if __name__ == "__main__":
    main()
