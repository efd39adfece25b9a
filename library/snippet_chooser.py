"""Snippet choosers (speaker, organisation, event on a session's edit page) worded in the
editor's language.

Wagtail's AdminSnippetChooser words its buttons ("Choose speaker", "Edit this speaker") once,
when the snippet viewset registers at start-up, in whatever language is active then; every
editor then reads them in that language. These words are looked up at each render instead,
with Wagtail's own messages (and so its Dutch)."""

from django.utils.functional import cached_property, lazy
from django.utils.translation import gettext
from wagtail.snippets.views.chooser import SnippetChooserViewSet
from wagtail.snippets.widgets import AdminSnippetChooser

# Wagtail's msgids (its catalogue translates them); not ours to extract.
CHOOSE_ONE = "Choose %(object)s"
CHOOSE_ANOTHER = "Choose another %(object)s"
EDIT_CHOSEN = "Edit this %(object)s"


def _worded(message: str, model):
    return lazy(lambda: gettext(message) % {"object": model._meta.verbose_name}, str)()


class SnippetChooser(AdminSnippetChooser):
    def __init__(self, model, **kwargs):
        super().__init__(model, **kwargs)
        self.choose_one_text = _worded(CHOOSE_ONE, self.model)
        self.choose_another_text = _worded(CHOOSE_ANOTHER, self.model)
        self.link_to_chosen_text = _worded(EDIT_CHOSEN, self.model)


class LocalisedSnippetChooserViewSet(SnippetChooserViewSet):
    @cached_property
    def widget_class(self):
        return SnippetChooser(model=self.model, icon=self.icon)
