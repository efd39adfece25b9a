"""Public pages for speakers and organisations: who they are and their sessions.

Only live, public sessions are listed; a speaker whose sessions are all private still
has a page, with none listed, so the page never reveals a private session."""

from django.shortcuts import get_object_or_404, render

from .models import Organisation, SessionPage, Speaker


def _public_sessions():
    return SessionPage.objects.live().public().select_related("event").order_by("-date", "title")


def speaker_list(request):
    # The directory lists people with at least one public session.
    speakers = (
        Speaker.objects.filter(session_links__page__in=_public_sessions())
        .select_related("organisation")
        .distinct()
        .order_by("name")
    )
    return render(request, "library/speaker_list.html", {"speakers": speakers})


def speaker_detail(request, slug: str):
    speaker = get_object_or_404(Speaker.objects.select_related("organisation"), slug=slug)
    sessions = _public_sessions().filter(speaker_links__speaker=speaker).distinct()
    return render(request, "library/speaker_detail.html", {"speaker": speaker, "sessions": sessions})


def organisation_list(request):
    organisations = Organisation.objects.filter(sessions__in=_public_sessions()).distinct().order_by("name")
    return render(request, "library/organisation_list.html", {"organisations": organisations})


def organisation_detail(request, slug: str):
    organisation = get_object_or_404(Organisation, slug=slug)
    sessions = _public_sessions().filter(organisations=organisation).distinct()
    speakers = organisation.speakers.order_by("name")
    return render(
        request,
        "library/organisation_detail.html",
        {"organisation": organisation, "sessions": sessions, "speakers": speakers},
    )
