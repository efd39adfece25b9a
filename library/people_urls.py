"""Links to speaker and organisation pages, for templates and other apps (search facets
hold names, so these accept a name as well as an object). "" when there is no such page."""

from django.urls import reverse

from .models import Organisation, Speaker


def speaker_url(speaker) -> str:
    if isinstance(speaker, str):
        speaker = Speaker.objects.filter(name=speaker).order_by("pk").first()
    return reverse("library:speaker", args=[speaker.slug]) if speaker and speaker.slug else ""


def organisation_url(organisation) -> str:
    if isinstance(organisation, str):
        organisation = Organisation.objects.filter(name=organisation).first()
    if organisation and organisation.slug:
        return reverse("library:organisation", args=[organisation.slug])
    return ""
