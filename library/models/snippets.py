"""People and organisations that sessions are about; edited as Wagtail snippets."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.search import index

from .slugs import unique_slug


class Organisation(index.Indexed, models.Model):
    name = models.CharField(_("name"), max_length=255, unique=True)
    slug = models.SlugField(
        _("slug"), max_length=255, unique=True, blank=True, help_text=_("Made from the name when left empty.")
    )
    description = models.TextField(_("description"), blank=True)

    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("description")]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            # Distinct names can slugify alike ("A&B" / "A B"); keep slugs unique.
            self.slug = unique_slug(self.name, Organisation.objects.exclude(pk=self.pk), max_length=240)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        """The public organisation page (library/views_people.py)."""
        return reverse("library:organisation", args=[self.slug]) if self.slug else ""

    @classmethod
    def named(cls, name: str) -> "Organisation":
        """The organisation of this name, created when there is none."""
        return cls.objects.get_or_create(name=name)[0]


class Speaker(index.Indexed, models.Model):
    name = models.CharField(_("name"), max_length=255)
    slug = models.SlugField(
        _("slug"), max_length=255, unique=True, blank=True, help_text=_("Made from the name when left empty.")
    )
    role = models.CharField(_("role"), max_length=255, blank=True, help_text=_("Job title or role"))
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="speakers",
        verbose_name=_("organisation"),
    )

    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("role"), FieldPanel("organisation")]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name"), index.SearchField("role")]

    class Meta:
        ordering = ["name"]
        verbose_name = _("speaker")
        verbose_name_plural = _("speakers")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(self.name, Speaker.objects.exclude(pk=self.pk), max_length=240)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        """The public speaker page (library/views_people.py)."""
        return reverse("library:speaker", args=[self.slug]) if self.slug else ""

    @classmethod
    def named(cls, name: str, organisation: Organisation | None = None, role: str = "") -> "Speaker":
        """The first speaker of this name (names need not be unique), else a new one with
        this organisation and role; an existing speaker is left as the editors keep it."""
        speaker = cls.objects.filter(name=name).order_by("pk").first()
        return speaker or cls.objects.create(name=name, organisation=organisation, role=role)


class Event(index.Indexed, models.Model):
    name = models.CharField(_("name"), max_length=255)
    year = models.PositiveIntegerField(_("year"))
    description = models.TextField(_("description"), blank=True)

    panels = [FieldPanel("name"), FieldPanel("year"), FieldPanel("description")]
    search_fields = [index.SearchField("name"), index.FilterField("year")]

    class Meta:
        ordering = ["-year", "name"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [models.UniqueConstraint(fields=["name", "year"], name="unique_event_per_year")]

    def __str__(self):
        return f"{self.name} {self.year}"
