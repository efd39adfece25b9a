"""Search fuzz: odd queries through the search page and its JSON API, on every engine.

    .venv/bin/python bench/fuzz.py [--queries 10000] [--engines embedded,opensearch] [--seed 1]

Builds a throwaway SQLite library (migrated from scratch in a temp folder): the demo
festival's talks (library/demo/content.py) repeated over five events in three years, with
their transcripts as segments, speakers, organisations and themes, indexed into every engine
asked for. Then, as tests/test_privacy.py does, a session is unpublished, one is made
login-only and a theme gets a password, *after* indexing and with no index job run.

Each engine then answers ``--queries`` GET requests through Django's test client (the whole
stack: URL routing, locale middleware, views, service, engine, templates), half to
``/search/`` and half to ``/api/search/``, in both languages. What is asked is random but
seeded: words of the corpus and of the hidden pages, decorated with quotes, dashes,
operators of FTS5 and Lucene, SQL, unicode (emoji, RTL, combining marks, zero-width and
control characters, digits that are not ASCII), huge and negative numbers, 3,000-character
strings; filters with real, hidden and garbage values; pages from -3 to 10**30.

It prints per engine: requests, answers by status, answers >= 500 (the first few with their
request and exception), leaks (a hidden page's title, speaker, organisation or theme in an
answer whose request did not contain it), p50/p95/max milliseconds and the wall time. Exit
status 1 when any answer is >= 500 or leaks.

OpenSearch: uses ``OPENSEARCH_URL`` when a node answers there; otherwise it starts one with
``search-node/start.sh`` on ``SEARCH_NODE_PORT`` (default 9250) and stops it afterwards.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
import traceback
import uuid

import standalone

WORK = standalone.django_in_temp_folder("fuzz-bench-")
REPO_ROOT = standalone.REPO_ROOT

import logging  # noqa: E402

from django.conf import settings  # noqa: E402

# Thousands of requests: the client's and Django's per-request logging would bury the table.
for name in ("opensearch", "django.request", "search", "django_tasks", "transcripts"):
    logging.getLogger(name).setLevel(logging.CRITICAL)

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from wagtail.models import PageViewRestriction  # noqa: E402

from library.demo.content import TALKS  # noqa: E402
from library.models import Organisation  # noqa: E402
from search import service  # noqa: E402
from tests.factories import make_event, make_private, make_theme  # noqa: E402
from tests.search.helpers import session_with  # noqa: E402

# What the hidden pages are called; none of it may reach an answer unless the request said it.
HIDDEN = {
    "draft_title": "Zeppelinwerf concept",
    "draft_speaker": "Quirina Verborgen",
    "login_title": "Walrusberaad intern",
    "login_speaker": "Xander Geheim",
    "login_organisation": "Narwal Stichting",
    "theme": "Okapi vertrouwelijk",
}
HIDDEN_WORDS = ["zeppelinwerf", "walrusberaad", "quirina", "xander", "narwal", "okapi", "vertrouwelijk"]
# Words only the hidden sessions' transcripts and summaries hold (a "did you mean" must not offer them).
HIDDEN_TEXT = ["zeppelinwerf", "luchtschip", "walrusberaad"]


# -- the library -------------------------------------------------------------------------------


def sentences(script: str) -> list[str]:
    return [part.strip() + "." for part in script.split(". ") if part.strip()]


def build() -> dict:
    """The library (all visible), returned with what the fuzz draws values from."""
    call_command("migrate", verbosity=0)
    organisations = {}
    sessions = []
    events = [
        make_event(name, year) for name in ("Kennismaand", "Data Summit") for year in (2024, 2025, 2026)
    ]
    for n, event in enumerate(events):
        for talk in TALKS:
            session = session_with(
                f"{talk['title']} ({event.name} {event.year})",
                sentences(talk["script"]),
                language=talk["language"],
                speakers=talk["speakers"],
                event=event,
                summary=talk["summary"],
                date=datetime.date(event.year, 3, 1 + n),
            )
            for name in talk["organisations"]:
                organisations.setdefault(name, Organisation.named(name))
            session.organisations.set([organisations[name] for name in talk["organisations"]])
            session.save_revision().publish()
            sessions.append(session)
    themes = [
        make_theme("Digitale overheid", sessions[::2]),
        make_theme("Working in the open", sessions[1::3]),
    ]
    draft = session_with(
        HIDDEN["draft_title"],
        ["De zeppelinwerf bouwt een nieuw luchtschip."],
        language="nl",
        speakers=[HIDDEN["draft_speaker"]],
        event=events[-1],
        summary="Zeppelinwerf.",
    )
    login = session_with(
        HIDDEN["login_title"],
        ["Het walrusberaad bespreekt de begroting."],
        language="nl",
        speakers=[HIDDEN["login_speaker"]],
        event=events[-1],
        summary="Walrusberaad.",
    )
    secret_org = Organisation.objects.create(name=HIDDEN["login_organisation"])
    login.organisations.set([secret_org])
    login.save_revision().publish()
    secret_theme = make_theme(HIDDEN["theme"], sessions[:3] + [login])
    words = sorted({w.strip(".,;:!?'\"()").lower() for t in TALKS for w in t["script"].split()} - {""})
    return {
        "words": words,
        "speakers": sorted({s for t in TALKS for s in t["speakers"]}),
        "organisations": sorted(organisations),
        "themes": [t.title for t in themes],
        "events": sorted({f"{e.name} {e.year}" for e in events}),
        "hide": lambda: hide(draft, login, secret_theme),
    }


def hide(draft, login, theme) -> None:
    """Hidden after indexing; the index jobs this queues are recorded, never run."""
    draft.unpublish()
    make_private(login)
    make_private(theme, PageViewRestriction.PASSWORD, "fuzz")


# -- what is asked ---------------------------------------------------------------------------

ODD = [
    '"',
    '""',
    "'",
    "'''",
    "-",
    "--",
    "- - -",
    "—",
    "–",
    "*",
    "**",
    "?",
    "^",
    "+",
    ":",
    "::",
    "(",
    ")",
    "()",
    "{",
    "}",
    "[",
    "]",
    "\\",
    "\\\\",
    "/",
    "//",
    "&&",
    "||",
    "!",
    "~",
    "~2",
    "%",
    "%%",
    "%00",
    "_",
    "AND",
    "OR",
    "NOT",
    "NEAR",
    "NEAR/3",
    "NEAR(a b, 2)",
    "title:",
    "speakers:x",
    "{title summary}:x",
    "[a TO z]",
    "/re.*gex/",
    "x^3",
    "x~",
    "' OR 1=1 --",
    "'; DROP TABLE search_querylog; --",
    '" OR ""="',
    "<script>alert(1)</script>",
    "&lt;b&gt;",
    "&amp;",
    "🎉",
    "👩‍👩‍👧",
    "ß",
    "İstanbul",
    "é",
    "e\u0301",
    "مرحبا",
    "שלום",
    "検索",
    "한국어",
    "\u200b",
    "\ufeff",
    "\u00a0",
    "\u202e",
    "ｆｕｌｌｗｉｄｔｈ",
    "\x00",
    "\x1f",
    "\x7f",
    "\t",
    "\n",
    "²",
    "①",
    "٣",
    "Ⅻ",
    "0",
    "-0",
    "9" * 40,
    "9" * 400,
    "1e308",
    "-1e308",
    "NaN",
    "Infinity",
    "2147483648",
    "-2147483649",
    "18446744073709551616",
    "0x7fffffff",
    "1.5",
    "3,14",
    "null",
    "None",
    "undefined",
    "true",
]


def word(rng: random.Random, pool: dict) -> str:
    roll = rng.random()
    if roll < 0.45:
        return rng.choice(pool["words"])
    if roll < 0.52:
        return rng.choice(HIDDEN_WORDS)
    if roll < 0.55:  # misspelt: what a "did you mean" would correct
        hidden = rng.choice(HIDDEN_TEXT)
        cut = rng.randrange(1, len(hidden) - 1)
        return hidden[:cut] + hidden[cut + 1 :]
    if roll < 0.9:
        return rng.choice(ODD)
    return "".join(chr(rng.choice([rng.randint(0x20, 0x7E), rng.randint(0xA0, 0x2FFF)])) for _ in range(5))


def decorate(rng: random.Random, text: str) -> str:
    choice = rng.random()
    if choice < 0.1:
        return f'"{text}"'
    if choice < 0.18:
        return f'"{text}'
    if choice < 0.26:
        return f"-{text}"
    if choice < 0.32:
        return f"{text}*"
    if choice < 0.36:
        return f"{text}-{text}"
    return text


def query_text(rng: random.Random, pool: dict) -> str:
    roll = rng.random()
    if roll < 0.05:
        return ""
    if roll < 0.08:
        return " " * rng.randint(1, 5)
    if roll < 0.11:  # long: past the 2,000 characters the view keeps
        return " ".join(word(rng, pool) for _ in range(rng.randint(200, 600)))
    if roll < 0.13:
        return "".join(rng.choice("ab-\"'*() ") for _ in range(rng.randint(1000, 3000)))
    count = rng.choice([1, 1, 2, 2, 3, 4, 6, 12])
    return " ".join(decorate(rng, word(rng, pool)) for _ in range(count))


YEARS = ["2024", "2025", "2026", "0", "-1", "1", "9999", "10000", "2147483648", "9" * 30, "abc", ""]
YEARS += ["2026.0", " 2026 ", "2,026", "²", "٢٠٢٦", "①", "1e3", "0x7E9"]
PAGES = ["1", "2", "3", "5", "0", "-3", "1000", "1001", "10" * 15, "1e3", "abc", "", "1.5", "²", "٣", "\x00"]


def filter_value(rng: random.Random, pool: dict, facet: str) -> str:
    real = {
        "theme": pool["themes"],
        "speaker": pool["speakers"],
        "organisation": pool["organisations"],
        "event": pool["events"],
        "year": YEARS,
        "language": ["nl", "en", "de", "NL", ""],
    }[facet]
    hidden = {
        "theme": [HIDDEN["theme"]],
        "speaker": [HIDDEN["draft_speaker"], HIDDEN["login_speaker"]],
        "organisation": [HIDDEN["login_organisation"]],
    }.get(facet, [])
    roll = rng.random()
    if roll < 0.6:
        return rng.choice(real)
    if roll < 0.75 and hidden:
        return rng.choice(hidden)
    return rng.choice(ODD) if rng.random() < 0.7 else "x" * rng.randint(100, 5000)


def request(rng: random.Random, pool: dict) -> tuple[str, list[tuple[str, str]]]:
    prefix = rng.choice(["", "", "/en"])
    path = f"{prefix}{rng.choice(['/search/', '/api/search/'])}"
    params = [("q", query_text(rng, pool))] if rng.random() < 0.95 else []
    for facet in ("theme", "speaker", "organisation", "event", "year", "language"):
        if rng.random() < 0.15:
            for _ in range(rng.choice([1, 1, 2, 25])):
                params.append((facet, filter_value(rng, pool, facet)))
    if rng.random() < 0.3:
        params.append(("page", rng.choice(PAGES)))
    if rng.random() < 0.05:
        params.append((rng.choice(["sort", "per_page", "format", "q[]", "Q", ""]), rng.choice(ODD)))
    rng.shuffle(params)
    return path, params


# -- running ------------------------------------------------------------------------------


def leaked(body: str, params) -> list[str]:
    """Hidden names and words in an answer whose request did not say them (an echo is no leak)."""
    asked = " ".join(value for _, value in params).casefold()
    text = body.casefold()
    names = [*HIDDEN.values(), *HIDDEN_TEXT]
    return [
        name
        for name in names
        if name.casefold() in text and not any(part in asked for part in name.casefold().split())
    ]


def fuzz(engine: str, queries: int, seed: int, pool: dict) -> dict:
    rng = random.Random(seed)
    client = Client()
    statuses: dict[int, int] = {}
    errors, leaks, times = [], [], []
    started = time.perf_counter()
    for n in range(queries):
        path, params = request(rng, pool)
        data: dict[str, list[str]] = {}
        for key, value in params:
            data.setdefault(key, []).append(value)
        began = time.perf_counter()
        try:
            response = client.get(path, data)
            status, body = response.status_code, response.content.decode("utf-8", "replace")
        except Exception as error:  # the client re-raises a view's exception: that is a 500
            status, body = 500, ""
            errors.append((path, params, "".join(traceback.format_exception_only(error)).strip()))
        times.append((time.perf_counter() - began) * 1000)
        statuses[status] = statuses.get(status, 0) + 1
        if status >= 500 and body:
            errors.append((path, params, f"status {status}"))
        if status >= 500:  # at once too: a long run shows what failed while it goes on
            print(f"  {engine}: >=500 {path} {params!r:.300}: {errors[-1][2]}", flush=True)
        found = leaked(body, params)
        if found:
            leaks.append((path, params, found))
        if (n + 1) % 1000 == 0:
            print(f"  {engine}: {n + 1} requests, {len(errors)} >= 500, {len(leaks)} leaks", flush=True)
    return {
        "engine": engine,
        "requests": queries,
        "statuses": dict(sorted(statuses.items())),
        "errors": errors,
        "leaks": leaks,
        "times": times,
        "wall": time.perf_counter() - started,
    }


class OpenSearchNode:
    """The node the fuzz talks to: an answering one, or one it starts and stops itself."""

    def __init__(self):
        self.url = os.environ.get("OPENSEARCH_URL", "http://127.0.0.1:9200")
        self.started = False

    def __enter__(self) -> str:
        from search.engines.opensearch import OpenSearchEngine

        if OpenSearchEngine(url=self.url, index="fuzz-ping", timeout=3).ping():
            return self.url
        port = os.environ.get("SEARCH_NODE_PORT", "9250")
        self.url = f"http://127.0.0.1:{port}"
        print(f"no node answers; starting one with search-node/start.sh on port {port}", flush=True)
        env = {**os.environ, "SEARCH_NODE_PORT": port}
        subprocess.run([str(REPO_ROOT / "search-node" / "start.sh")], check=True, env=env, cwd=REPO_ROOT)
        self.started = True
        return self.url

    def __exit__(self, *exc):
        if self.started:
            env = {**os.environ, "SEARCH_NODE_PORT": self.url.rsplit(":", 1)[1]}
            subprocess.run([str(REPO_ROOT / "search-node" / "stop.sh")], check=False, env=env, cwd=REPO_ROOT)


def use(engine: str, node_url: str | None, index: str) -> None:
    settings.SEARCH_ENGINE = engine
    if engine == "embedded":
        settings.SEARCH_EMBEDDED_PATH = WORK / "search-index.sqlite3"
    else:
        settings.OPENSEARCH_URL, settings.OPENSEARCH_INDEX = node_url, index


def report(result: dict) -> None:
    times = sorted(result["times"])
    p95 = times[int(len(times) * 0.95) - 1] if times else 0.0
    print(
        f"{result['engine']:<11} requests {result['requests']:>6}  >=500: {len(result['errors'])}  "
        f"leaks: {len(result['leaks'])}  p50 {statistics.median(times):.0f} ms  p95 {p95:.0f} ms  "
        f"max {times[-1]:.0f} ms  wall {result['wall']:.0f} s"
    )
    print(f"            statuses {result['statuses']}")
    for path, params, what in result["errors"][:5]:
        print(f"  >=500 {path} {params!r:.300}: {what}")
    for path, params, names in result["leaks"][:5]:
        print(f"  leak  {path} {params!r:.300}: {names}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=int, default=10_000, help="requests per engine")
    parser.add_argument("--engines", default="embedded,opensearch")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]

    node = OpenSearchNode() if "opensearch" in engines else None
    node_url = node.__enter__() if node else None
    index = f"fuzz-{uuid.uuid4().hex[:8]}"
    results = []
    try:
        began = time.perf_counter()
        pool = build()
        for engine in engines:  # every engine indexes the library while all of it is visible
            use(engine, node_url, index)
            service.rebuild()
        pool["hide"]()
        print(f"library built and indexed in {time.perf_counter() - began:.0f} s", flush=True)
        for engine in engines:
            use(engine, node_url, index)
            results.append(fuzz(engine, args.queries, args.seed, pool))
        print()
        for result in results:
            report(result)
    finally:
        if node_url:
            from search.engines import get_engine

            use("opensearch", node_url, index)
            engine = get_engine()
            engine.client.indices.delete(index=f"{engine.alias}*", ignore_unavailable=True)
        if node:
            node.__exit__(None, None, None)
        shutil.rmtree(WORK, ignore_errors=True)
    if any(r["errors"] or r["leaks"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
