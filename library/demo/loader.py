"""Builds the demo festival in the database. Idempotent: objects are looked up by
slug/name first, and a second run creates, changes and publishes nothing."""

import datetime
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import transaction

from ..models import (
    Event,
    HomeFeaturedTheme,
    HomePage,
    Organisation,
    Recording,
    SessionPage,
    SessionSpeaker,
    Speaker,
    ThemeIndexPage,
    ThemePage,
    ThemeSession,
)
from . import content
from .render import render_talk


def home_page() -> HomePage:
    home = HomePage.of_default_site()
    if home is None:
        raise RuntimeError("No HomePage found: run `manage.py migrate` first.")
    return home


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


def ensure_people():
    event, _ = Event.objects.get_or_create(
        name=content.EVENT["name"],
        year=content.EVENT["year"],
        defaults={"description": content.EVENT["description"]},
    )
    for name in content.ORGANISATIONS:
        Organisation.objects.get_or_create(name=name)
    for spec in content.SPEAKERS:
        if not Speaker.objects.filter(name=spec["name"]).exists():
            Speaker.objects.create(
                name=spec["name"],
                role=spec["role"],
                organisation=Organisation.objects.get(name=spec["organisation"]),
            )
    return event


def ensure_themes(home: HomePage) -> dict[str, ThemePage]:
    index = ThemeIndexPage.objects.child_of(home).first()
    if index is None:
        index = home.add_child(instance=ThemeIndexPage(title=content.THEME_INDEX_TITLE, slug="themes"))
        _publish(index)
    themes = {}
    for spec in content.THEMES:
        theme = ThemePage.objects.child_of(index).filter(slug=spec["slug"]).first()
        if theme is None:
            theme = index.add_child(
                instance=ThemePage(title=spec["title"], slug=spec["slug"], intro=f"<p>{spec['intro']}</p>")
            )
            _publish(theme)
        themes[spec["slug"]] = theme
    return themes


def _speaker(name: str) -> Speaker:
    speaker = Speaker.objects.filter(name=name).first()
    return speaker or Speaker.objects.create(name=name)


def create_session(home, event, spec: dict, media_path: Path, media_type: str) -> SessionPage:
    """One session page with its recording, published."""
    with transaction.atomic():
        recording = Recording.store(
            media_path, spec["title"], media_type, filename=f"{spec['slug']}{media_path.suffix}"
        )
        page = SessionPage(
            title=spec["title"],
            slug=spec["slug"],
            event=event,
            date=datetime.date.fromisoformat(spec["date"]),
            language=spec["language"],
            summary=spec["summary"],
            recording=recording,
        )
        for name in spec["speakers"]:
            page.speaker_links.add(SessionSpeaker(speaker=_speaker(name)))
        page.organisations = [Organisation.objects.get(name=n) for n in spec.get("organisations", [])]
        home.add_child(instance=page)
        _publish(page)
    return page


def add_to_themes(themes: dict[str, ThemePage], memberships: list[tuple[SessionPage, list[str]]]):
    for slug, theme in themes.items():
        wanted = [page for page, slugs in memberships if slug in slugs]
        present = set(ThemeSession.objects.filter(theme=theme).values_list("session_id", flat=True))
        missing = [page for page in wanted if page.pk not in present]
        if not missing:
            continue
        theme = ThemePage.objects.get(pk=theme.pk)
        for page in missing:
            theme.session_links.add(ThemeSession(session=page))
        _publish(theme)


def add_clips(themes: dict[str, ThemePage], home: HomePage) -> int:
    """Clips from content.CLIPS whose session exists and is not clipped on that theme yet."""
    added = 0
    for slug, theme in themes.items():
        specs = [c for c in content.CLIPS if c["theme"] == slug]
        sessions = {
            s.slug: s
            for s in SessionPage.objects.child_of(home).filter(slug__in=[c["session"] for c in specs])
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


def planned_sessions(shared_dir: Path | None):
    """(spec, source) pairs: rendered talks always, real recordings where present."""
    for spec in content.TALKS:
        yield spec, None
    if shared_dir and shared_dir.is_dir():
        for spec in content.SHARED_RECORDINGS:
            source = shared_dir / spec["file"]
            if source.is_file():
                yield spec, source


def load_demo(progress=None, log=print) -> dict:
    """Create what is missing; return counts of what was created."""
    home = home_page()
    ensure_home_text(home)
    home = home_page()
    event = ensure_people()
    themes = ensure_themes(home)
    shared_dir = Path(settings.SHARED_DATA_DIR)
    plan = list(planned_sessions(shared_dir))
    created, memberships = 0, []
    bar = progress(total=len(plan)) if progress else None
    with tempfile.TemporaryDirectory(prefix="demo-render-") as tmp:
        for spec, source in plan:
            page = SessionPage.objects.child_of(home).filter(slug=spec["slug"]).first()
            if page is None:
                if source is None:
                    media = render_talk(
                        spec["script"],
                        spec["language"],
                        spec["title"],
                        spec["kind"],
                        Path(tmp) / spec["slug"],
                    )
                    media_type = spec["kind"]
                else:
                    media, media_type = source, "audio"
                page = create_session(home, event, spec, media, media_type)
                created += 1
                log(f"created session: {spec['title']}")
            memberships.append((page, spec.get("themes", [])))
            if bar:
                bar.update(1)
    if bar:
        bar.close()
    add_to_themes(themes, memberships)
    clips = add_clips(themes, home)
    feature_themes(home, themes)
    if not (shared_dir.is_dir()):
        log(f"note: {shared_dir} not found; the demo has only its rendered talks.")
    return {"sessions_created": created, "sessions_total": len(plan), "clips_added": clips}
