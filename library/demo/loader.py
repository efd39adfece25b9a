"""Builds the demo festival in the database. Idempotent: objects are looked up by
title/name first, and a second run creates, changes and publishes nothing.

Its sessions are imported as any event's are (library.importer): the talks of
content.TALKS, rendered to speech here, and, where ../shared/data exists, the real
recordings that programme.csv describes. A session that exists already is left as it is
(editors may have changed it)."""

import tempfile
from pathlib import Path

from django.conf import settings

from ..importer import EventImporter, home_page, read_programme
from ..models import (
    Event,
    HomeFeaturedTheme,
    HomePage,
    Organisation,
    SessionPage,
    Speaker,
    ThemeIndexPage,
    ThemePage,
)
from . import content
from .render import render_talk

#: The real recordings in ../shared/data, as `manage.py import_event` reads them.
PROGRAMME = Path(__file__).with_name("programme.csv")


class DemoError(RuntimeError):
    """A demo session could not be imported (a bug in the demo, or a broken shared file)."""


def _publish(page):
    page.save_revision().publish()


def ensure_home_text(home: HomePage) -> None:
    """The demo's Dutch title and intro on the home page the migration made (only then)."""
    home = HomePage.objects.get(pk=home.pk)
    if home.title != "Session Library" or home.intro:
        return
    home.title = content.HOME["title"]
    home.intro = f"<p>{content.HOME['intro']}</p>"
    _publish(home)


def ensure_people() -> Event:
    event, _ = Event.objects.get_or_create(
        name=content.EVENT["name"],
        year=content.EVENT["year"],
        defaults={"description": content.EVENT["description"]},
    )
    for name in content.ORGANISATIONS:
        Organisation.named(name)
    for spec in content.SPEAKERS:
        Speaker.named(spec["name"], Organisation.named(spec["organisation"]), spec["role"])
    return event


def ensure_themes(home: HomePage) -> dict[str, ThemePage]:
    index = ThemeIndexPage.under(home, title=content.THEME_INDEX_TITLE)
    themes = {}
    for spec in content.THEMES:
        theme = ThemePage.objects.child_of(index).filter(slug=spec["slug"]).first()
        intro = f"<p>{spec['intro']}</p>"
        themes[spec["slug"]] = theme or index.add_theme(spec["title"], spec["slug"], intro=intro)
    return themes


def talk_row(spec: dict, file_name: str) -> dict:
    """A talk of content.TALKS as a row of a programme CSV (see library.importer)."""
    theme_titles = {theme["slug"]: theme["title"] for theme in content.THEMES}
    return {
        "file": file_name,
        "title": spec["title"],
        "date": spec["date"],
        "speakers": ";".join(spec["speakers"]),
        "organisation": ";".join(spec["organisations"]),
        "themes": ";".join(theme_titles[slug] for slug in spec["themes"]),
        "language": spec["language"],
        "summary": spec["summary"],
    }


def import_rows(folder: Path, rows: list[tuple[int, dict]], log) -> int:
    """Import these rows into the demo event; the number of sessions created."""
    if not rows:
        return 0
    importer = EventImporter(folder, event_name=content.EVENT["name"], year=content.EVENT["year"])
    report = importer.run(rows)
    if report.failed:
        raise DemoError("; ".join(f"{result.title}: {result.detail}" for result in report.failed))
    for result in report.results:
        if result.action == "created":
            log(f"created session: {result.title}")
    return report.count("created")


def _is_new(event: Event, title: str) -> bool:
    return not SessionPage.objects.filter(event=event, title=title).exists()


def shared_rows(shared_dir: Path, event: Event) -> tuple[list[tuple[int, dict]], int]:
    """(rows of programme.csv still to import, how many of its recordings are present)."""
    if not shared_dir.is_dir():
        return [], 0
    present = [(line, row) for line, row in read_programme(PROGRAMME) if (shared_dir / row["file"]).is_file()]
    return [(line, row) for line, row in present if _is_new(event, row["title"])], len(present)


def add_clips(themes: dict[str, ThemePage], home: HomePage) -> int:
    """Clips from content.CLIPS whose session exists and is not clipped on that theme yet."""
    added = 0
    for slug, theme in themes.items():
        specs = [c for c in content.CLIPS if c["theme"] == slug]
        sessions = {
            s.title: s
            for s in SessionPage.objects.child_of(home).filter(title__in=[c["session"] for c in specs])
        }
        theme = ThemePage.objects.get(pk=theme.pk).get_latest_revision_as_object()
        clipped = {b.value["session"].pk for b in theme.body if b.block_type == "clip" and b.value["session"]}
        missing = [c for c in specs if c["session"] in sessions and sessions[c["session"]].pk not in clipped]
        if not missing:
            continue
        for spec in missing:
            clip = {"session": sessions[spec["session"]], "start": spec["start"], "end": spec["end"],
                    "note": spec["note"]}  # fmt: skip
            theme.body.append(("clip", clip))
        _publish(theme)
        added += len(missing)
    return added


def feature_themes(home: HomePage, themes: dict[str, ThemePage]) -> None:
    """Only on a home page whose editors have not chosen featured themes yet."""
    if HomeFeaturedTheme.objects.filter(page=home).exists():
        return
    home = HomePage.objects.get(pk=home.pk)
    for order, slug in enumerate(content.FEATURED_THEMES):
        if slug in themes:
            home.featured_theme_links.add(HomeFeaturedTheme(theme=themes[slug], sort_order=order))
    _publish(home)


def load_demo(progress=None, log=print) -> dict:
    """Create what is missing; return counts of what was created."""
    home = home_page()
    ensure_home_text(home)
    home = home_page()
    event = ensure_people()
    themes = ensure_themes(home)
    shared_dir = Path(settings.SHARED_DATA_DIR)
    talks = [spec for spec in content.TALKS if _is_new(event, spec["title"])]
    recordings, present = shared_rows(shared_dir, event)
    bar = progress(total=len(talks) + len(recordings)) if progress else None
    created = 0
    with tempfile.TemporaryDirectory(prefix="demo-render-") as tmp:
        rows = []
        for line, spec in enumerate(talks, start=1):
            workdir = Path(tmp) / spec["slug"]
            media = render_talk(spec["script"], spec["language"], spec["title"], spec["kind"], workdir)
            media = media.rename(Path(tmp) / f"{spec['slug']}{media.suffix}")  # the stored file's name
            rows.append((line, talk_row(spec, media.name)))
            if bar:
                bar.update(1)
        created += import_rows(Path(tmp), rows, log)
    created += import_rows(shared_dir, recordings, log)
    if bar:
        bar.update(len(recordings))
        bar.close()
    clips = add_clips(themes, home)
    feature_themes(home, themes)
    if not shared_dir.is_dir():
        log(f"note: {shared_dir} not found; the demo has only its rendered talks.")
    return {"sessions_created": created, "sessions_total": len(content.TALKS) + present, "clips_added": clips}
