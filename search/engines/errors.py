"""What an engine raises that callers handle (kept apart so query_syntax and base can share them)."""


class QueryError(ValueError):
    """The query cannot be understood; the message is shown to the visitor."""


class EngineUnavailable(RuntimeError):
    """The engine cannot be reached; callers answer 503 and keep pending changes."""


def visitor_message(message: str) -> str:
    """``message`` in the visitor's language (a QueryError is shown to them). Engines don't need
    Django, so outside a configured project the English message is returned as it is."""
    from django.conf import settings

    if not settings.configured:
        return message
    from django.utils.translation import gettext

    return gettext(message)
