"""Wagtail integration: the session page slots (caption track, interactive transcript), the
Transcripts listing in the admin, and the transcript panel on a session's edit page."""

import hashlib

from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.ui.tables import Column, UpdatedAtColumn
from wagtail.admin.views.generic import IndexView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import ListingButton

from .admin_views import CorrectTranscriptView, RetryTranscriptView
from .models import Transcript
from .templatetags.transcript_tags import transcript_lines
from .views import download_name

# A caption track is named in its own language, as players list them.
LANGUAGE_LABELS = {"nl": "Nederlands", "en": "English"}


def _transcript_of(page):
    """The page's transcript, fetched once per page instance (both slots of one request ask)."""
    if not getattr(page, "recording_id", None):
        return None
    memo = getattr(page, "_transcript_memo", None)
    if memo is None or memo[0] != page.recording_id:
        memo = (page.recording_id, Transcript.objects.filter(recording_id=page.recording_id).first())
        page._transcript_memo = memo
    return memo[1]


# -- session page slots (library's {% session_slot %}) ------------------------------------------


@hooks.register("session_page_tracks")
def caption_track(request, page):
    transcript = _transcript_of(page)
    if transcript is None or not _section(request, page, transcript)["shown"]:
        return ""  # a re-run keeps the previous captions
    language = transcript.language or page.language
    return format_html(
        '<track kind="captions" src="{}" srclang="{}" label="{}" default>',
        reverse("transcripts:captions_vtt", args=[page.pk]),
        language,
        LANGUAGE_LABELS.get(language, language),
    )


@hooks.register("session_page_links")
def transcript_links(page):
    """The session's caption and transcript files, once it has a transcript to show (for the API)."""
    transcript = _transcript_of(page)
    if transcript is None or not transcript.is_shown:
        return {}
    return {
        "captions": {
            "vtt": reverse("transcripts:captions_vtt", args=[page.pk]),
            "srt": reverse("transcripts:captions_srt", args=[page.pk]),
        },
        "transcript": {
            "json": reverse("transcripts:transcript_json", args=[page.pk]),
            "text": reverse("transcripts:transcript_txt", args=[page.pk]),
        },
    }


def _downloads(page):
    """The transcript's files, each saved under the session's title."""
    files = [
        (_("Transcript (plain text)"), "transcripts:transcript_txt", "txt", ""),
        (_("Captions (SRT)"), "transcripts:captions_srt", "srt", ""),
        (_("Captions (WebVTT)"), "transcripts:captions_vtt", "vtt", "?download"),
    ]
    return [
        {"label": label, "url": reverse(name, args=[page.pk]) + query, "filename": download_name(page, ext)}
        for label, name, ext, query in files
    ]


@hooks.register("session_page_sections")
def interactive_transcript(request, page):
    transcript = _transcript_of(page)
    if transcript is None:
        return ""
    return mark_safe(_section(request, page, transcript)["html"])


# The transcript section of a 60-minute recording is ~300 KB of HTML and a few queries (lines,
# review counts); it changes only with the transcript, whose updated_at moves with every change
# of its segments (a run, a correction, a line ticked as checked), with the page's title (the
# download names) and with the visitor's language. Cached per all of those, in the cache every
# web process shares (settings CACHES), so an editor's correction shows at once everywhere.
# Only the page's own serve() renders it, after Wagtail's privacy check: a cached section is
# never reached for a page the visitor may not see. One day, so entries of an old version go.
SECTION_CACHE_SECONDS = 24 * 3600


def _section_key(page, transcript) -> str:
    title = hashlib.blake2s(page.title.encode(), digest_size=8).hexdigest()
    version = transcript.updated_at.timestamp()
    return f"transcript-section:{get_language()}:{page.pk}:{title}:{transcript.pk}:{version}"


def _section(request, page, transcript) -> dict:
    """{"shown": whether there are lines to show, "html": the rendered section}, cached."""
    memo = getattr(page, "_transcript_section", None)
    if memo is not None and memo[0] is transcript:
        return memo[1]
    key = _section_key(page, transcript)
    section = cache.get(key)
    if section is None:
        # The segments there are, whatever a newer run is doing: they are replaced in one go.
        done = transcript.is_shown
        html = render_to_string(
            "transcripts/session_transcript.html",
            {
                "page": page,
                "transcript": transcript,
                "lines": _transcript_lines(transcript) if done else "",
                "review": transcript.review() if done else None,
                "downloads": _downloads(page) if done else [],
            },
            request=request,
        )
        section = {"shown": done, "html": str(html)}
        cache.set(key, section, SECTION_CACHE_SECONDS)
    page._transcript_section = (transcript, section)
    return section


def _transcript_lines(transcript) -> str:
    # Only what the lines show (not the word timings: decoding them was most of the cost).
    rows = transcript.segments.order_by("index").values_list("index", "start", "end", "text")
    return transcript_lines(rows)


# -- admin: the Transcripts listing ---------------------------------------------------------------


def _sessions_of(transcript):
    return ", ".join(s.title for s in transcript.recording.sessions.all()) or "—"


class TranscriptIndexView(IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("recording").prefetch_related("recording__sessions")

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        for button in buttons:
            if getattr(button, "url", None) == reverse("transcripts_admin:edit", args=[instance.pk]):
                button.label = _("Correct text")  # 'edit' is the correction form here
        return buttons

    def get_list_buttons(self, instance):
        retry = ListingButton(
            _("Retry"),
            url=reverse("transcripts_admin:retry", args=[instance.pk]),
            icon_name="rotate",
            attrs={
                "aria-label": gettext("Transcribe %(recording)s again") % {"recording": instance.recording}
            },
            priority=5,
        )
        return [retry, *super().get_list_buttons(instance)]


class TranscriptViewSet(ModelViewSet):
    """Listing with filters; 'edit' is the correction form; transcripts are only made by the pipeline."""

    model = Transcript
    name = "transcripts_admin"
    url_prefix = "transcripts"
    icon = "doc-full"
    menu_label = _("Transcripts")
    menu_order = 250
    add_to_admin_menu = True
    copy_view_enabled = False
    index_view_class = TranscriptIndexView
    list_display = [
        "recording",
        Column("session", label=_("Session"), accessor=_sessions_of),
        Column("status", label=_("Status"), accessor="get_status_display"),
        "language",
        "attempts",
        UpdatedAtColumn(),
        Column("error", label=_("Error"), accessor=lambda t: t.error[:120]),
    ]
    list_filter = ["status", "language", "provenance"]
    search_fields = ["recording__title", "error"]
    form_fields = ["language"]  # unused (edit is replaced below) but required by ModelViewSet

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(add_url_name=None, **kwargs)

    def get_urlpatterns(self):
        kept = [p for p in super().get_urlpatterns() if p.name not in ("add", "edit")]
        return kept + [
            path("edit/<int:pk>/", CorrectTranscriptView.as_view(), name="edit"),
            path("retry/<int:pk>/", RetryTranscriptView.as_view(), name="retry"),
        ]


transcript_viewset = TranscriptViewSet()


@hooks.register("register_admin_viewset")
def register_transcript_viewset():
    return transcript_viewset


# -- admin: the panel on a session's edit page (library's HookPanel renders this hook) -----------


@hooks.register("session_page_admin_panels")
def transcript_status_panel(request, page):
    if not getattr(page, "pk", None) or not getattr(page, "recording_id", None):
        return ""
    transcript = _transcript_of(page)
    edit_page_url = reverse("wagtailadmin_pages:edit", args=[page.pk])
    context = {"page": page, "transcript": transcript, "next_url": edit_page_url}
    if transcript is not None:
        query = urlencode({"next": edit_page_url})
        context.update(
            correct_url=reverse("transcripts_admin:edit", args=[transcript.pk]),
            retry_url=reverse("transcripts_admin:retry", args=[transcript.pk]) + "?" + query,
            segment_count=transcript.segments.count(),
            # A corrected transcript is not redone automatically when the language changes: say so.
            language_mismatch=transcript.status == Transcript.Status.DONE
            and page.language not in ("auto", transcript.language),
        )
    return render_to_string("transcripts/admin/session_panel.html", context, request=request)
