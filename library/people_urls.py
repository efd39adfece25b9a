"""Links to speaker and organisation pages, for templates and other apps (search facets
hold names, so these accept a name as well as an object). "" when there is no such page:
a speaker or organisation without a visible session has none (library.access)."""

from .access import visible_organisations, visible_speakers


def speaker_url(speaker) -> str:
    speakers = visible_speakers()
    if isinstance(speaker, str):
        speaker = speakers.filter(name=speaker).order_by("pk").first()
    elif speaker is not None and not speakers.filter(pk=speaker.pk).exists():
        speaker = None
    return speaker.get_absolute_url() if speaker else ""


def organisation_url(organisation) -> str:
    organisations = visible_organisations()
    if isinstance(organisation, str):
        organisation = organisations.filter(name=organisation).first()
    elif organisation is not None and not organisations.filter(pk=organisation.pk).exists():
        organisation = None
    return organisation.get_absolute_url() if organisation else ""
