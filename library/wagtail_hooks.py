from django.utils.translation import gettext_lazy as _
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

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
