from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running the site: the health endpoint, request and job ids in the logs, static files."""

    name = "ops"
    verbose_name = "Operations"

    def ready(self):
        from . import request_ids

        request_ids.connect_task_signals()
