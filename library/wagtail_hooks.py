from django.db.models import Sum
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .access import visible_sessions
from .figures import Figure, format_hours
from .models import Event, Organisation, Speaker
from .snippet_chooser import LocalisedSnippetChooserViewSet


class SpeakerViewSet(SnippetViewSet):
    chooser_viewset_class = LocalisedSnippetChooserViewSet
    model = Speaker
    icon = "user"
    list_display = ["name", "role", "organisation"]
    list_filter = ["organisation"]
    search_fields = ["name", "role"]


class OrganisationViewSet(SnippetViewSet):
    chooser_viewset_class = LocalisedSnippetChooserViewSet
    model = Organisation
    icon = "group"
    list_display = ["name"]
    search_fields = ["name"]


class EventViewSet(SnippetViewSet):
    chooser_viewset_class = LocalisedSnippetChooserViewSet
    model = Event
    icon = "date"
    list_display = ["name", "year"]
    list_filter = ["year"]


class LibraryViewSetGroup(SnippetViewSetGroup):
    menu_label = _("People & events")
    menu_icon = "group"
    menu_order = 300
    items = (SpeakerViewSet, OrganisationViewSet, EventViewSet)


register_snippet(LibraryViewSetGroup)


@hooks.register("library_figures", order=-1)  # first on the home page, before other apps' figures
def session_figures(request) -> list[Figure]:
    """Counts of visible sessions only: the public home page never counts drafts or private ones."""
    sessions = visible_sessions()
    seconds = sessions.aggregate(total=Sum("recording__duration"))["total"]
    return [
        Figure(number_format(sessions.count(), force_grouping=True), gettext("Sessions")),
        Figure(format_hours(seconds), gettext("Recorded")),
    ]
