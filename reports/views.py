"""Editor reports in the Wagtail admin: the transcription queue and search insights."""

import datetime

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from wagtail.admin.ui.tables import BaseColumn, Column, DateColumn, NumberColumn
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.reports import ReportView

from library.figures import format_hours
from transcripts.models import Transcript

from . import search_insights, transcription


class SessionsColumn(BaseColumn):
    """The session page(s) that use the recording, linked to their edit view."""

    cell_template_name = "reports/cells/sessions_cell.html"


class RetryColumn(BaseColumn):
    cell_template_name = "reports/cells/retry_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["csrf_token"] = parent_context.get("csrf_token")
        context["retry_url"] = reverse("editor_reports:transcript_retry", args=[instance.pk])
        return context


class TranscriptionQueueView(ReportView):
    """Counts per status and hours transcribed above a list of transcripts of one status
    (failed by default, each with its reason and a retry button)."""

    page_title = _("Transcription queue")
    header_icon = "time"
    template_name = "reports/transcription_queue.html"
    index_url_name = "editor_reports:transcription"
    index_results_url_name = "editor_reports:transcription_results"
    paginate_by = 50
    list_export = ["recording.title", "status", "error", "attempts", "updated_at"]
    export_headings = {"recording.title": _("Recording"), "error": _("Reason")}

    @property
    def status(self) -> str:
        wanted = self.request.GET.get("status", Transcript.Status.FAILED)
        return wanted if wanted in Transcript.Status.values else Transcript.Status.FAILED

    def get_queryset(self):
        return transcription.transcripts_with_status(self.status)

    @property
    def columns(self):
        columns = [
            Column("recording", label=_("Recording"), accessor="recording.title"),
            SessionsColumn("sessions", label=_("Session")),
            Column("status", label=_("Status"), accessor="get_status_display"),
        ]
        if self.status == Transcript.Status.FAILED:
            columns.append(Column("error", label=_("Reason")))
        columns += [
            NumberColumn("attempts", label=_("Attempts")),
            DateColumn("updated_at", label=_("Updated")),
        ]
        if self.status in (Transcript.Status.FAILED, Transcript.Status.NO_SPEECH):
            columns.append(RetryColumn("retry", label=_("Action")))
        return columns

    def get_filename(self):
        return f"transcription-{self.status}-{datetime.date.today():%Y-%m-%d}"

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        seconds = transcription.seconds_transcribed()
        context.update(
            status_counts=transcription.status_counts(),
            current_status=self.status,
            hours_transcribed=format_hours(seconds),
            no_results_message=_("No transcripts with this status."),
        )
        return context


@require_POST
def retry_transcript(request, pk: int):
    transcript = get_object_or_404(Transcript.objects.select_related("recording"), pk=pk)
    title = transcript.recording.title
    if transcription.retry(transcript):
        messages.success(request, _("“%(title)s” is queued for transcription again.") % {"title": title})
    else:
        messages.warning(
            request,
            _(
                "“%(title)s” was not queued: its transcript was corrected by an editor. To replace the "
                "corrections with a new machine transcript, use Retry in the Transcripts listing."
            )
            % {"title": title},
        )
    back = reverse("editor_reports:transcription")
    status = request.POST.get("status")
    return redirect(f"{back}?status={status}" if status in Transcript.Status.values else back)


class SearchInsightsView(WagtailAdminTemplateMixin, TemplateView):
    page_title = _("Search insights")
    header_icon = "search"
    template_name = "reports/search_insights.html"
    days = search_insights.DAYS

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        per_day = search_insights.searches_per_day(self.days)
        busiest = max(per_day, key=lambda item: item[1], default=(None, 0))
        context.update(
            days=self.days,
            per_day=per_day,
            chart=column_chart(per_day),
            busiest=busiest if busiest[1] else None,
            total_searches=sum(n for _day, n in per_day),
            top_queries=search_insights.top_queries(self.days),
            zero_result_queries=search_insights.zero_result_queries(self.days),
        )
        return context


CHART_WIDTH, CHART_HEIGHT, CHART_TOP = 600, 150, 16  # px; room above the bars for the counts


def column_chart(per_day):
    """Geometry of an inline SVG column chart (one column per day; the count printed above it)."""
    if not per_day:
        return {"width": CHART_WIDTH, "height": CHART_HEIGHT, "columns": []}
    step = CHART_WIDTH / len(per_day)
    busiest = max(n for _day, n in per_day) or 1
    columns = []
    for i, (day, n) in enumerate(per_day):
        height = round((CHART_HEIGHT - CHART_TOP) * n / busiest, 1)
        columns.append(
            {"day": day, "count": n, "x": round(i * step + 1, 1), "width": round(step - 2, 1),
             "y": round(CHART_HEIGHT - height, 1), "height": height,
             "label_x": round(i * step + step / 2, 1), "label_y": round(CHART_HEIGHT - height - 3, 1)}
        )  # fmt: skip
    return {"width": CHART_WIDTH, "height": CHART_HEIGHT, "columns": columns}
