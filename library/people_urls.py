"""Links to speaker and organisation pages, for templates and other apps (search facets
hold names, so these accept a name as well as an object). "" when there is no such page."""

from .models import Organisation, Speaker


def speaker_url(speaker) -> str:
    if isinstance(speaker, str):
        speaker = Speaker.objects.filter(name=speaker).order_by("pk").first()
    return speaker.get_absolute_url() if speaker else ""


def organisation_url(organisation) -> str:
    if isinstance(organisation, str):
        organisation = Organisation.objects.filter(name=organisation).first()
    return organisation.get_absolute_url() if organisation else ""
