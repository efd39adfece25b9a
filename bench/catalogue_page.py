"""Catalogue benchmark: how long /sessies/ takes to render with many sessions.

    .venv/bin/python bench/catalogue_page.py [--sessions 10000] [--runs 15] [--private 100]

Builds a throwaway SQLite library (migrated from scratch in a temp folder) with N live
sessions under the home page — inserted in bulk, with the tree paths Wagtail would give
them — spread over 8 events in 4 years, 300 speakers, 60 organisations, 20 themes, two
languages and 50 poster images (thumbnails rendered once beforehand, as a site that has
been visited has them). ``--private`` sessions get a view restriction, so the visibility
rule (library.access.visible_sessions) has to exclude them. Then it renders the catalogue
through Django's test client (the whole view: query, facets, template) for a set of
requests and prints p50/p95/max wall milliseconds, the median CPU milliseconds of this
process (SQLite runs in it, so that is the request's own work; on a shared machine the
wall time also holds the wait for a core) and the number of database queries each.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import time
import uuid
from urllib.parse import urlsplit

import standalone

WORK = standalone.django_in_temp_folder("catalogue-bench-")

from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.http import QueryDict  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from wagtail.images import get_image_model  # noqa: E402
from wagtail.models import Collection, Page, PageViewRestriction  # noqa: E402

from catalogue import listing  # noqa: E402
from catalogue.listing import POSTER_SPEC  # noqa: E402
from library import models  # noqa: E402

REQUESTS = [
    ("newest (default)", "/sessies/"),
    ("title order", "/sessies/?sort=title"),
    ("longest, page 10", "/sessies/?sort=longest&page=10"),
    ("one theme", "/sessies/?theme=Theme+07"),
    ("speaker + year", "/sessies/?speaker=Speaker+012&year=2025"),
    ("three facets", "/sessies/?language=nl&event=Kennismaand+2026&organisation=Organisation+03"),
]


def make_posters(count: int) -> list:
    from PIL import Image as PILImage

    Image = get_image_model()
    images = []
    for n in range(count):
        buffer = io.BytesIO()
        PILImage.new("RGB", (640, 360), ((n * 37) % 255, (n * 91) % 255, 160)).save(buffer, "JPEG")
        image = Image(title=f"Poster {n}", width=640, height=360)
        image.file.save(f"poster-{n}.jpg", ContentFile(buffer.getvalue()), save=False)
        image.width, image.height = 640, 360
        image.save()
        image.get_rendition(POSTER_SPEC)
        images.append(image)
    return images


def build(sessions: int, private: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    call_command("migrate", verbosity=0)
    home = models.HomePage.of_default_site()
    events = [
        models.Event.objects.create(name=name, year=year)
        for name in ("Kennismaand", "Data Summit")
        for year in range(2023, 2027)
    ]
    organisations = [models.Organisation.named(f"Organisation {n:02d}") for n in range(60)]
    speakers = [models.Speaker.named(f"Speaker {n:03d}", rng.choice(organisations)) for n in range(300)]
    index = models.ThemeIndexPage.under(home)
    themes = [index.add_theme(f"Theme {n:02d}") for n in range(20)]
    posters = make_posters(50)

    content_type = ContentType.objects.get_for_model(models.SessionPage)
    home.refresh_from_db()  # the theme index is its first child; sessions come after it
    first = home.numchild + 1
    now = timezone.now()
    pages = []
    for n in range(sessions):
        slug = f"session-{n:05d}"
        pages.append(
            Page(
                path=home.path + Page._int2str(first + n).rjust(Page.steplen, "0"),
                depth=home.depth + 1,
                numchild=0,
                title=f"Session {n:05d} about {rng.choice(['data', 'AI', 'klimaat', 'privacy', 'wonen'])}",
                draft_title=slug,
                slug=slug,
                content_type=content_type,
                url_path=f"{home.url_path}{slug}/",
                live=True,
                first_published_at=now,
                last_published_at=now,
                locale_id=home.locale_id,
                translation_key=uuid.uuid4(),
            )
        )
    with transaction.atomic():
        Page.objects.bulk_create(pages, batch_size=1000)
        children = Page.objects.filter(depth=home.depth + 1, content_type=content_type)
        ids = list(children.values_list("pk", flat=True))
        # One recording per session, holding its duration and (mostly) its poster frame; the
        # file is never read here.
        collection = Collection.get_first_root_node()
        recordings = models.Recording.objects.bulk_create(
            [
                models.Recording(
                    title=f"Recording {n:05d}",
                    file="media/bench.mp3",
                    type="audio",
                    collection=collection,
                    duration=rng.uniform(600, 5400),
                    poster_id=rng.choice(posters).pk if rng.random() < 0.8 else None,
                )
                for n in range(len(ids))
            ],
            batch_size=1000,
        )
        rows = []
        for pk, recording in zip(ids, recordings, strict=True):
            event = rng.choice(events)
            rows.append(
                (
                    pk,
                    event.pk,
                    f"{event.year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    rng.choice(["nl", "nl", "en"]),
                    "",
                    recording.pk,
                )
            )
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO library_sessionpage"
                " (page_ptr_id, event_id, date, language, summary, recording_id)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                rows,
            )
        Page.objects.filter(pk=home.pk).update(numchild=home.numchild + sessions)
        models.SessionSpeaker.objects.bulk_create(
            [
                models.SessionSpeaker(page_id=pk, speaker=speaker, sort_order=i)
                for pk in ids
                for i, speaker in enumerate(rng.sample(speakers, rng.randint(1, 3)))
            ],
            batch_size=2000,
        )
        through = models.SessionPage.organisations.through
        through.objects.bulk_create(
            [
                through(sessionpage_id=pk, organisation=org)
                for pk in ids
                for org in rng.sample(organisations, rng.randint(1, 2))
            ],
            batch_size=2000,
        )
        models.ThemeSession.objects.bulk_create(
            [
                models.ThemeSession(theme=theme, session_id=pk, sort_order=0)
                for pk in ids
                for theme in rng.sample(themes, rng.randint(0, 2))
            ],
            batch_size=2000,
        )
        for pk in rng.sample(ids, private):
            PageViewRestriction.objects.create(page_id=pk, restriction_type=PageViewRestriction.LOGIN)


def measure(runs: int) -> None:
    client = Client()
    print(f"{'request':<22} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'cpu p50':>8} {'queries':>8} sessions")
    for name, path in REQUESTS:
        response = client.get(path)  # warm: templates compiled, caches filled
        assert response.status_code == 200, (path, response.status_code)
        times, cpu = [], []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as queries:
                started, started_cpu = time.perf_counter(), time.process_time()
                response = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        params = QueryDict(urlsplit(path).query)
        total = listing.browse(filters=listing.parse_filters(params), per_page=1).total
        p50 = statistics.median(times)
        cpu50 = statistics.median(cpu)
        print(f"{name:<22} {p50:8.1f} {p95:8.1f} {times[-1]:8.1f} {cpu50:8.1f} {len(queries):8d}  {total}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--private", type=int, default=100)
    args = parser.parse_args()
    started = time.perf_counter()
    build(args.sessions, args.private)
    visible = models.SessionPage.objects.live().public().count()
    print(
        f"built {args.sessions} sessions ({visible} visible, {args.private} private) in "
        f"{time.perf_counter() - started:.1f} s; SQLite at {WORK}"
    )
    measure(args.runs)


if __name__ == "__main__":
    main()
