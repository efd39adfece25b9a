"""Page types: the home page, sessions and themes."""

from collections import Counter
from datetime import date

from django.db import models
from django.utils.functional import SimpleLazyObject, cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.api import APIField
from wagtail.fields import RichTextField, StreamField
from wagtail.images.api.fields import ImageRenditionField
from wagtail.models import Orderable, Page, Site
from wagtail.search import index
from wagtailmedia.edit_handlers import MediaChooserPanel

from .. import content_version
from ..api_fields import AbsoluteURLField, AbsoluteURLsField, OrganisationsField, SpeakersField, ThemesField
from ..blocks import ThemeBodyBlock, referenced_session_ids
from ..deep_links import link_times
from ..figures import site_figures
from ..panels import HookPanel
from .slugs import unique_slug
from .visibility import VisiblePageManager

LANGUAGE_CHOICES = [
    ("nl", _("Dutch")),
    ("en", _("English")),
    ("auto", _("Detect automatically")),
]


class HomePage(Page):
    intro = RichTextField(_("intro"), blank=True)

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        InlinePanel(
            "featured_theme_links",
            label=_("Featured theme"),
            heading=_("Featured themes"),
            help_text=_("Themes shown first on the home page, in this order."),
        ),
    ]
    subpage_types = ["library.SessionPage", "library.ThemeIndexPage"]
    max_count = 1

    class Meta:
        verbose_name = _("home page")
        verbose_name_plural = _("home pages")

    @classmethod
    def of_default_site(cls) -> "HomePage | None":
        """The home page that sessions are created under (None before `migrate`)."""
        site = Site.objects.filter(is_default_site=True).first()
        root = site.root_page.specific if site else None
        return root if isinstance(root, cls) else cls.objects.first()

    LATEST_SESSIONS = 6

    def featured_themes(self):
        """The editor's choice of themes, in their order; drafts and private ones left out."""
        ids = [link.theme_id for link in self.featured_theme_links.all()]
        by_id = ThemePage.objects.visible().in_bulk(ids)
        return [by_id[i] for i in ids if i in by_id]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["sessions"] = (
            SessionPage.objects.visible()
            .select_related("event", "poster", "recording__poster")
            .order_by("-date", "-first_published_at", "title")[: self.LATEST_SESSIONS]
        )
        context["featured_themes"] = self.featured_themes()
        context["figures"] = site_figures(request)
        context["theme_index"] = ThemeIndexPage.objects.child_of(self).live().public().first()
        return context


class HomeFeaturedTheme(Orderable):
    page = ParentalKey(HomePage, on_delete=models.CASCADE, related_name="featured_theme_links")
    theme = models.ForeignKey(
        "library.ThemePage", on_delete=models.CASCADE, related_name="+", verbose_name=_("theme")
    )

    panels = [FieldPanel("theme")]


class SessionPage(Page):
    """One recorded session of an event."""

    objects = VisiblePageManager()

    event = models.ForeignKey(
        "library.Event",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sessions",
        verbose_name=_("event"),
    )
    date = models.DateField(_("date"), null=True, blank=True)
    organisations = ParentalManyToManyField(
        "library.Organisation", blank=True, related_name="sessions", verbose_name=_("organisations")
    )
    language = models.CharField(
        _("language"),
        max_length=4,
        choices=LANGUAGE_CHOICES,
        default="nl",
        help_text=_(
            "Spoken language; passed to the transcriber. "
            "“Detect automatically” chooses between Dutch and English."
        ),
    )
    summary = models.TextField(_("summary"), blank=True)
    recording = models.ForeignKey(
        "library.Recording",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sessions",
        verbose_name=_("recording"),
    )
    # The editor's choice; without one the page shows its recording's poster frame.
    poster = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("poster"),
        help_text=_("Leave empty to show a frame taken from the video."),
    )

    content_panels = Page.content_panels + [
        MultiFieldPanel(
            [FieldPanel("event"), FieldPanel("date"), FieldPanel("language")],
            heading=_("Session"),
        ),
        InlinePanel("speaker_links", label=_("Speaker"), heading=_("Speakers")),
        FieldPanel("organisations"),
        FieldPanel("summary"),
        MediaChooserPanel("recording"),
        FieldPanel("poster"),
        # Status from other apps (the transcript: status, error, retry), via a hook.
        HookPanel("session_page_admin_panels", heading=_("Transcript")),
    ]

    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.FilterField("language"),
        index.FilterField("date"),
        index.RelatedFields("event", [index.SearchField("name")]),
    ]

    # Wagtail's API v2 (catalogue/api.py routes it, for visible sessions only).
    api_fields = [
        APIField("date"),
        APIField("language"),
        APIField("summary"),
        APIField("duration"),
        APIField("event_name"),
        APIField("speakers", serializer=SpeakersField()),
        APIField("organisations", serializer=OrganisationsField()),
        APIField("themes", serializer=ThemesField()),
        APIField("recording_url", serializer=AbsoluteURLField()),
        APIField("poster_thumbnail", serializer=ImageRenditionField("fill-480x270", source="shown_poster")),
        APIField("captions", serializer=AbsoluteURLsField(source="captions_urls")),
        APIField("transcript", serializer=AbsoluteURLsField(source="transcript_urls")),
    ]

    parent_page_types = ["library.HomePage"]
    subpage_types = []

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    @cached_property
    def speakers(self):
        return [link.speaker for link in self.speaker_links.select_related("speaker")]

    @cached_property
    def themes(self):
        """Visible theme pages that include this session (the theme owns the relation);
        a private theme's title is never shown on a public session."""
        return list(
            ThemePage.objects.visible().filter(session_links__session=self).distinct().order_by("title")
        )

    @property
    def event_name(self):
        return str(self.event) if self.event else ""

    @property
    def speaker_names(self):
        return [s.name for s in self.speakers]

    @property
    def organisation_names(self):
        return [o.name for o in self.organisations.all()]

    @property
    def theme_titles(self):
        return [t.title for t in self.themes]

    @property
    def duration(self) -> float | None:
        """Seconds, read from the recording (the facts about a file live there)."""
        return self.recording.known_duration if self.recording_id else None

    @property
    def shown_poster(self):
        """The poster a visitor sees: the editor's choice, else the recording's frame."""
        if self.poster_id:
            return self.poster
        return self.recording.poster if self.recording_id else None

    @property
    def recording_url(self):
        return self.recording.serve_url if self.recording_id else ""

    @cached_property
    def links(self) -> dict:
        """What other apps publish about this session, by name (the transcripts app adds
        "captions" and "transcript": {format: URL}); read through the
        ``session_page_links`` hook because library imports neither of them."""
        links = {}
        for fn in hooks.get_hooks("session_page_links"):
            links.update(fn(self) or {})
        return links

    @property
    def captions_urls(self) -> dict:
        return self.links.get("captions") or {}

    @property
    def transcript_urls(self) -> dict:
        return self.links.get("transcript") or {}

    RELATED_SESSIONS = 4

    def related_sessions(self, limit: int = RELATED_SESSIONS) -> list["SessionPage"]:
        """Other visible sessions that share a visible theme or a speaker with this one:
        those sharing the most first, then the newest."""
        themes = ThemePage.objects.visible().filter(session_links__session=self).values("pk")
        speakers = self.speaker_links.values("speaker_id")
        shared = Counter(
            list(ThemeSession.objects.filter(theme__in=themes).values_list("session_id", flat=True))
            + list(SessionSpeaker.objects.filter(speaker__in=speakers).values_list("page_id", flat=True))
        )
        shared.pop(self.pk, None)
        if not shared:
            return []
        sessions = (
            SessionPage.objects.visible().filter(pk__in=list(shared)).select_related("event", "recording")
        )

        def order(session):
            newest = -(session.date or date.min).toordinal()
            return (-shared[session.pk], session.date is None, newest, session.pk)

        return sorted(sessions, key=order)[:limit]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["start_time"], context["clip_end"] = link_times(request.GET)
        # Read only when the cached facts fragment (templates/library/session_page.html) is stale.
        context["related_sessions"] = SimpleLazyObject(self.related_sessions)
        if not getattr(request, "is_preview", False):  # a draft's facts are never cached
            context["facts_version"] = f"{content_version.current()}:{get_language()}"
        return context


class SessionSpeaker(Orderable):
    page = ParentalKey(SessionPage, on_delete=models.CASCADE, related_name="speaker_links")
    speaker = models.ForeignKey(
        "library.Speaker", on_delete=models.CASCADE, related_name="session_links", verbose_name=_("speaker")
    )

    panels = [FieldPanel("speaker")]

    def __str__(self):
        return f"{self.speaker} @ {self.page}"


class ThemeIndexPage(Page):
    intro = RichTextField(_("intro"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["library.HomePage"]
    subpage_types = ["library.ThemePage"]

    class Meta:
        verbose_name = _("theme index")
        verbose_name_plural = _("theme indexes")

    @classmethod
    def under(cls, home: HomePage, title: str = "Themes") -> "ThemeIndexPage":
        """The theme index below this home page; a published one is made when there is none."""
        index = cls.objects.child_of(home).first()
        if index is None:
            slug = unique_slug("themes", Page.objects.child_of(home))
            index = home.add_child(instance=cls(title=title, slug=slug))
            index.save_revision().publish()
        return index

    def add_theme(self, title: str, slug: str = "", *, sessions=(), live=True, **fields) -> "ThemePage":
        """A new theme in this index listing these sessions, published unless ``live`` is
        False (then a draft); its slug is made from the title unless given."""
        slug = slug or unique_slug(title, Page.objects.child_of(self), fallback="theme")
        theme = ThemePage(title=title, slug=slug, live=live, **fields)
        for session in sessions:
            theme.session_links.add(ThemeSession(session=session))
        self.add_child(instance=theme)
        revision = theme.save_revision()
        if live:
            revision.publish()
        return ThemePage.objects.get(pk=theme.pk)  # fresh: publishing cleared the draft flag

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        themes = ThemePage.objects.visible().child_of(self).order_by("title")
        context["themes"] = themes
        context["theme_cards"] = [theme.card() for theme in themes]
        return context


class ThemePage(Page):
    """A curated theme: intro text, an ordered list of sessions, and a body of text,
    session teasers and clips (moments of a session)."""

    objects = VisiblePageManager()

    intro = RichTextField(_("intro"), blank=True)
    body = StreamField(
        ThemeBodyBlock(),
        blank=True,
        verbose_name=_("body"),
        help_text=_("Text, session teasers and clips: a moment of a session with a start and end time."),
    )

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        InlinePanel("session_links", label=_("Session"), heading=_("Sessions in this theme")),
        FieldPanel("body"),
    ]
    search_fields = Page.search_fields + [index.SearchField("intro"), index.SearchField("body")]
    parent_page_types = ["library.ThemeIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")

    def card(self) -> dict:
        """What the theme index shows of this theme: how many sessions, and the first one's poster."""
        sessions = self.visible_sessions()
        return {
            "theme": self,
            "count": len(sessions),
            "poster": next((s.shown_poster for s in sessions if s.shown_poster), None),
        }

    def visible_sessions(self):
        ids = [link.session_id for link in self.session_links.all()]
        by_id = SessionPage.objects.visible().select_related("poster", "recording__poster").in_bulk(ids)
        return [by_id[i] for i in ids if i in by_id]

    def visible_body(self):
        """Body blocks to render: teasers and clips of a draft, private or deleted
        session are left out, so nothing of it reaches a visitor."""
        ids = referenced_session_ids(self.body)
        visible = set(SessionPage.objects.visible().filter(pk__in=ids).values_list("pk", flat=True))
        shown = []
        for child in self.body:
            if child.block_type in ("session", "clip"):
                session = child.value.get("session")
                if session is None or session.pk not in visible:
                    continue
            shown.append(child)
        return shown


class ThemeSession(Orderable):
    theme = ParentalKey(ThemePage, on_delete=models.CASCADE, related_name="session_links")
    session = models.ForeignKey(
        SessionPage, on_delete=models.CASCADE, related_name="theme_links", verbose_name=_("session")
    )

    panels = [FieldPanel("session")]

    class Meta(Orderable.Meta):
        constraints = [models.UniqueConstraint(fields=["theme", "session"], name="unique_session_per_theme")]
