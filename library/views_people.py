"""Public pages for speakers and organisations: who they are and their sessions.

Only visible sessions are listed (library.access). A speaker or organisation with no
visible session has no page (404, as for a name that does not exist), and an organisation
lists only those of its speakers who appear in a visible session: a page never reveals a
draft or private session, nor who spoke in one."""

from django.shortcuts import get_object_or_404, render

from .access import visible_organisations, visible_sessions, visible_speakers


def _sessions():
    return visible_sessions().select_related("event", "recording").order_by("-date", "title")


def speaker_list(request):
    speakers = visible_speakers().select_related("organisation").order_by("name")
    return render(request, "library/speaker_list.html", {"speakers": speakers})


def speaker_detail(request, slug: str):
    speaker = get_object_or_404(visible_speakers().select_related("organisation"), slug=slug)
    sessions = _sessions().filter(speaker_links__speaker=speaker).distinct()
    context = {
        "speaker": speaker,
        "sessions": sessions,
        # The organisation has a page only when one of its own sessions is visible.
        "organisation_linked": bool(speaker.organisation_id)
        and visible_organisations().filter(pk=speaker.organisation_id).exists(),
    }
    return render(request, "library/speaker_detail.html", context)


def organisation_list(request):
    organisations = visible_organisations().order_by("name")
    return render(request, "library/organisation_list.html", {"organisations": organisations})


def organisation_detail(request, slug: str):
    organisation = get_object_or_404(visible_organisations(), slug=slug)
    sessions = _sessions().filter(organisations=organisation).distinct()
    speakers = visible_speakers().filter(organisation=organisation).order_by("name")
    return render(
        request,
        "library/organisation_detail.html",
        {"organisation": organisation, "sessions": sessions, "speakers": speakers},
    )
