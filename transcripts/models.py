"""A transcript per recording, made of timed segments."""

from dataclasses import dataclass

from django.db import models, transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Review:
    lines: int
    checked: int
    corrected: int

    @property
    def complete(self) -> bool:
        """Every line checked by an editor (a transcript without lines has nothing to check)."""
        return self.lines > 0 and self.checked >= self.lines


class TranscriptQuerySet(models.QuerySet):
    def shown(self):
        """Transcripts whose text visitors see: those that have segments (a finished run's, or an
        editor's), whatever a newer run is doing. A re-run replaces the segments in one
        transaction when it succeeds, so the previous text stays on the page and in the
        captions until then (and after a failed re-run)."""
        return self.filter(models.Exists(Segment.objects.filter(transcript=models.OuterRef("pk"))))


class Transcript(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        NO_SPEECH = "no_speech", _("No speech")
        FAILED = "failed", _("Failed")

    class Provenance(models.TextChoices):
        MACHINE = "machine", _("Made automatically")
        CORRECTED = "corrected", _("Corrected by an editor")

    recording = models.OneToOneField(
        "library.Recording", on_delete=models.CASCADE, related_name="transcript", verbose_name=_("recording")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    language = models.CharField(
        _("language"), max_length=8, blank=True, help_text=_("Language the transcript is in")
    )
    language_probability = models.FloatField(null=True, blank=True)
    model_name = models.CharField(max_length=255, blank=True)
    engine = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    audio_seconds = models.FloatField(null=True, blank=True)
    processing_seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(
        _("error"), blank=True, help_text=_("Why the last attempt failed, in plain language")
    )
    provenance = models.CharField(
        _("made by"), max_length=16, choices=Provenance.choices, default=Provenance.MACHINE
    )
    # What the last queued or finished run was asked to do: lets the enqueue handlers skip a
    # recording whose file and language did not change (saving twice must not transcribe twice).
    source_file = models.CharField(
        max_length=600, blank=True, help_text="Stored name and size of the file this transcript is for"
    )
    requested_language = models.CharField(
        max_length=8, blank=True, help_text="Language asked for: the session's language, or 'auto'"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = TranscriptQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("transcript")
        verbose_name_plural = _("transcripts")

    def __str__(self):
        # Editors read this in the admin (listing, breadcrumbs, "more options" labels).
        return gettext("Transcript of %(recording)s (%(status)s)") % {
            "recording": self.recording,
            "status": self.get_status_display(),
        }

    @property
    def is_corrected(self) -> bool:
        return self.provenance == self.Provenance.CORRECTED

    @property
    def is_pending(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    def review(self) -> "Review":
        """How far editors have got checking this transcript, in one query."""
        counts = self.segments.aggregate(
            lines=models.Count("pk"),
            checked=models.Count("pk", filter=models.Q(checked=True)),
            corrected=models.Count("pk", filter=models.Q(corrected=True)),
        )
        return Review(**counts)

    @property
    def is_shown(self) -> bool:
        """See TranscriptQuerySet.shown."""
        return self.segments.exists()

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments.all())

    def replace_segments(self, segments) -> None:
        """Swap in a new list of unsaved Segment objects atomically (re-runs never duplicate)."""
        with transaction.atomic():
            self.segments.all().delete()
            for index, segment in enumerate(segments):
                segment.transcript = self
                segment.index = index
            Segment.objects.bulk_create(segments)
            # updated_at versions the segments (the session page caches its lines by it).
            self.save(update_fields=["updated_at"])


class Segment(models.Model):
    transcript = models.ForeignKey(Transcript, on_delete=models.CASCADE, related_name="segments")
    index = models.PositiveIntegerField()
    start = models.FloatField(help_text="Seconds from the start of the recording")
    end = models.FloatField()
    text = models.TextField(_("text"))
    avg_logprob = models.FloatField(null=True, blank=True)
    words = models.JSONField(
        null=True, blank=True, help_text="Optional word timings: [[start, end, word, probability], ...]"
    )
    # An editor's review, line by line: the public notice "made automatically, may contain
    # mistakes" stays until every line is checked, and says how many were corrected.
    checked = models.BooleanField(
        _("checked"), default=False, help_text=_("An editor has checked this line against the recording")
    )
    corrected = models.BooleanField(
        _("corrected"), default=False, help_text=_("An editor has changed this line's text")
    )

    class Meta:
        ordering = ["transcript", "index"]
        verbose_name = _("line")
        verbose_name_plural = _("lines")
        constraints = [models.UniqueConstraint(fields=["transcript", "index"], name="unique_segment_index")]

    def __str__(self):
        return f"{self.start:.1f}–{self.end:.1f}: {self.text[:40]}"
