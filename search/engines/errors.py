"""What an engine raises that callers handle (kept apart so query_syntax and base can share them)."""


class QueryError(ValueError):
    """The query cannot be understood; the message is shown to the visitor."""


class EngineUnavailable(RuntimeError):
    """The engine cannot be reached; callers answer 503 and keep pending changes."""
