"""Other kinds of queries for bench/findability.py, drawn from a folder's timed reference lines.

    .venv/bin/python bench/other_queries.py [--folder DIR] [--kind telling2|words3]
        [--lines 150] [--seed 7] --out FILE.json
    .venv/bin/python bench/findability.py --queries FILE.json

The dev set's own queries are five consecutive words of a line. Visitors also remember less:
``words3`` is three consecutive words of a line (from a random place in it), ``telling2`` the
two most telling words of a line (the two found in the fewest lines of the folder, the longer
first on a tie), in the line's order. A line of fewer than four words is skipped. Each query
names its session (the programme's title "Oefensessie N" for ``dutch-dev-N``) and the line's
time, as ``queries.json`` does, so findability counts it the same way.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
from collections import Counter
from pathlib import Path

DEFAULT_SET = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "dutch-dev"
WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--folder", type=Path, default=DEFAULT_SET)
    parser.add_argument("--kind", choices=("telling2", "words3"), default="telling2")
    parser.add_argument("--lines", type=int, default=150, help="lines drawn (at random, seeded)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    with open(args.folder / "programme.csv", newline="", encoding="utf-8") as programme:
        titles = {Path(row["file"]).stem: row["title"] for row in csv.DictReader(programme)}
    lines = [
        (titles[stem], line)
        for stem in sorted(titles)
        if (args.folder / f"{stem}.json").exists()
        for line in json.loads((args.folder / f"{stem}.json").read_text(encoding="utf-8"))
    ]
    seen_in = Counter(w for _, line in lines for w in set(WORD.findall(line["text"].lower())))
    rng = random.Random(args.seed)
    queries = []
    for title, line in rng.sample(lines, min(args.lines, len(lines))):
        words = WORD.findall(line["text"].lower())
        if len(words) < 4:
            continue
        if args.kind == "telling2":
            telling = sorted(set(words), key=lambda w: (seen_in[w], -len(w)))[:2]
            picked = list(dict.fromkeys(w for w in words if w in telling))
        else:
            first = rng.randrange(0, len(words) - 2)
            picked = words[first : first + 3]
        query = {"kind": args.kind, "q": " ".join(picked), "title": title}
        queries.append(query | {"start": line["start"], "end": line["end"]})
    args.out.write_text(json.dumps(queries, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{len(queries)} {args.kind} queries written to {args.out}")


if __name__ == "__main__":
    main()
