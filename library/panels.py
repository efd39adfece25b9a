"""A generic editor panel filled by other apps through a Wagtail hook.

`library` imports neither `transcripts` nor `search`; a session's edit page still shows their
status (e.g. the transcript) because those apps register hooks named here. Each hook is
called with ``(request, page)`` and returns HTML (or "" to add nothing)."""

from django.utils.safestring import mark_safe
from wagtail import hooks
from wagtail.admin.panels import Panel


class HookPanel(Panel):
    def __init__(self, hook_name: str, **kwargs):
        super().__init__(**kwargs)
        self.hook_name = hook_name

    def clone_kwargs(self):
        return {**super().clone_kwargs(), "hook_name": self.hook_name}

    class BoundPanel(Panel.BoundPanel):
        template_name = "library/panels/hook_panel.html"

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            parts = [fn(self.request, self.instance) for fn in hooks.get_hooks(self.panel.hook_name)]
            self.content = mark_safe("".join(part for part in parts if part))

        def is_shown(self):
            return bool(self.content) and super().is_shown()

        def get_context_data(self, parent_context=None):
            return {**super().get_context_data(parent_context), "content": self.content}
