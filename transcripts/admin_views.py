"""Editor views in the Wagtail admin: correct a transcript's text, retry a transcription."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.forms import modelformset_factory
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from .models import Segment, Transcript
from .queueing import queue_transcription
from .signals import transcript_changed

INDEX_URL_NAME = "transcripts_admin:index"
EDIT_URL_NAME = "transcripts_admin:edit"
RETRY_URL_NAME = "transcripts_admin:retry"


class SegmentTextForm(forms.ModelForm):
    """Only the words can change: timings stay those of the recording. An editor ticks a
    line once it is checked; a line whose words they change counts as checked and corrected."""

    class Meta:
        model = Segment
        fields = ["text", "checked"]
        widgets = {"text": forms.Textarea(attrs={"rows": 2})}
        labels = {"checked": _("Checked")}
        error_messages = {"text": {"required": _("A line cannot be empty; keep at least one word.")}}

    def clean_text(self):
        return " ".join(self.cleaned_data["text"].split())  # one line of text, as Whisper gives it


SegmentTextFormSet = modelformset_factory(Segment, form=SegmentTextForm, extra=0, can_delete=False)


class TranscriptAdminMixin(WagtailAdminTemplateMixin):
    header_icon = "doc-full"
    permission_action = "change"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(f"transcripts.{self.permission_action}_transcript"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def transcript(self) -> Transcript:
        return get_object_or_404(Transcript.objects.select_related("recording"), pk=self.kwargs["pk"])

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(INDEX_URL_NAME), "label": gettext("Transcripts")},
            {"url": "", "label": self.get_page_title()},
        ]

    def next_url(self) -> str:
        """Where to go afterwards: a same-site ?next= (e.g. the session's edit page), else the listing."""
        target = self.request.POST.get("next") or self.request.GET.get("next") or ""
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        ):
            return target
        return reverse(INDEX_URL_NAME)


class CorrectTranscriptView(TranscriptAdminMixin, TemplateView):
    """Every segment's text in one form; saving changed lines marks the transcript corrected."""

    template_name = "transcripts/admin/correct.html"

    def get_page_title(self):
        return gettext("Correct transcript: %(title)s") % {"title": self.transcript.recording.title}

    def get_formset(self):
        return SegmentTextFormSet(
            self.request.POST or None,
            queryset=self.transcript.segments.order_by("index"),
            prefix="segments",
        )

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(formset=self.get_formset()))

    def post(self, request, *args, **kwargs):
        formset = self.get_formset()
        if not formset.is_valid():
            messages.error(
                request, gettext("The transcript was not saved. Please correct the lines marked below.")
            )
            return self.render_to_response(self.get_context_data(formset=formset))
        transcript = self.transcript
        all_checked = request.POST.get("all_checked") == "on"
        reworded = [form for form in formset.forms if "text" in form.changed_data]
        ticked = [
            form
            for form in formset.forms
            if "text" not in form.changed_data and "checked" in form.changed_data
        ]
        with transaction.atomic():
            segments = Segment.objects.filter(transcript=transcript)
            for form in reworded:
                # The word timings spelled the old text; search falls back to the segment start.
                segments.filter(pk=form.instance.pk).update(
                    text=form.cleaned_data["text"], words=None, corrected=True, checked=True
                )
            for form in ticked:
                segments.filter(pk=form.instance.pk).update(checked=form.cleaned_data["checked"])
            if all_checked:
                segments.update(checked=True)
            if reworded:
                transcript.provenance = Transcript.Provenance.CORRECTED
                transcript.save(update_fields=["provenance", "updated_at"])
                transaction.on_commit(
                    lambda: transcript_changed.send(
                        sender=Transcript, transcript=transcript, recording_id=transcript.recording_id
                    ),
                    robust=True,  # the correction is saved; reindexing must not turn it into an error
                )
            elif ticked or all_checked:
                # updated_at versions the segments: the session page's cached section (with its
                # "checked N of M lines" notice) follows at once.
                transcript.save(update_fields=["updated_at"])
        review = transcript.review()
        if reworded:
            message = ngettext(
                "Saved %(count)d corrected line. Captions and search follow.",
                "Saved %(count)d corrected lines. Captions and search follow.",
                len(reworded),
            )
            messages.success(request, message % {"count": len(reworded)})
        elif ticked or all_checked:
            message = ngettext(
                "Saved: %(checked)d of %(lines)d line checked.",
                "Saved: %(checked)d of %(lines)d lines checked.",
                review.lines,
            )
            messages.success(request, message % {"checked": review.checked, "lines": review.lines})
        else:
            messages.info(request, gettext("Nothing was changed."))
        return redirect(reverse(EDIT_URL_NAME, args=[transcript.pk]))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            transcript=self.transcript,
            review=self.transcript.review(),
            retry_url=reverse(RETRY_URL_NAME, args=[self.transcript.pk]),
            sessions=list(self.transcript.recording.sessions.all()),
        )
        return context


class RetryTranscriptView(TranscriptAdminMixin, TemplateView):
    """GET asks for confirmation (and, for a corrected transcript, for explicit force); POST queues."""

    template_name = "transcripts/admin/retry.html"

    def get_page_title(self):
        return gettext("Transcribe again: %(title)s") % {"title": self.transcript.recording.title}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(transcript=self.transcript, next_url=self.next_url())
        return context

    def post(self, request, *args, **kwargs):
        transcript = self.transcript
        force = request.POST.get("force") == "on"
        if transcript.is_corrected and not force:
            messages.warning(
                request,
                gettext(
                    "This transcript was corrected by an editor. Tick the box to confirm that the "
                    "corrections may be replaced by a new machine transcript."
                ),
            )
            return self.render_to_response(self.get_context_data())
        if queue_transcription(transcript.recording_id, force=force):
            messages.success(
                request,
                gettext("“%(title)s” is queued for transcription.") % {"title": transcript.recording.title},
            )
        else:
            messages.error(request, gettext("The recording no longer exists; nothing was queued."))
        return redirect(self.next_url())
