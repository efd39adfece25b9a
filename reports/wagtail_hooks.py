from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component

from . import urls
from .figures import transcribed_figures
from .transcription import status_counts


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [path("editor-reports/", include(urls, namespace="editor_reports"))]


@hooks.register("register_reports_menu_item")
def register_transcription_report():
    return MenuItem(
        _("Transcription queue"), reverse("editor_reports:transcription"),
        name="transcription-queue", icon_name="time", order=150,
    )  # fmt: skip


@hooks.register("register_reports_menu_item")
def register_search_insights_report():
    return MenuItem(
        _("Search insights"), reverse("editor_reports:search_insights"),
        name="search-insights", icon_name="search", order=160,
    )  # fmt: skip


class TranscriptionPanel(Component):
    """Dashboard: how many recordings wait or failed, with a link to the queue report."""

    name = "transcription_queue"
    template_name = "reports/panels/transcription_panel.html"
    order = 90

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        context["status_counts"] = counts = status_counts()
        context["any_transcripts"] = any(count for _value, _label, count in counts)
        context["report_url"] = reverse("editor_reports:transcription")
        return context


@hooks.register("construct_homepage_panels")
def add_transcription_panel(request, panels):
    panels.append(TranscriptionPanel())


# The public home page's "hours transcribed" (library defines the hook; see library/figures.py).
hooks.register("library_figures", transcribed_figures)
