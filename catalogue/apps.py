from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    """Browsing every session (the catalogue) and the sessions as data (Wagtail's API v2)."""

    name = "catalogue"

    def ready(self):
        from . import signals

        signals.connect()
