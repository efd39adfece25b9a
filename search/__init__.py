"""Moment-level search: find the session *and* the minute something was said.

Service API (search/service.py) — the only entry point for the rest of the site (the index
side lives in search/indexing.py, which never enqueues; search/tasks.py runs it in the
background; search/handlers.py enqueues those tasks):
    index_session(id)   index a live, public session (metadata + transcript moments), or
                        remove it when it is a draft, private or deleted
    remove_session(id)  take it out of the index
    search(text, filters, page) -> SearchResults (sessions, best 3 moments, facets)
    rebuild(progress)   rebuild from the database (`manage.py search_index --rebuild`)
    retry_pending()     retry changes kept while the engine was down

Engines (search/engines/, contract in base.py), chosen by settings.SEARCH_ENGINE:
    embedded    SQLite FTS5 in settings.SEARCH_EMBEDDED_PATH, Snowball stemming (nl/en)
    opensearch  OpenSearch at settings.OPENSEARCH_URL, alias settings.OPENSEARCH_INDEX

Query syntax for visitors: words (all must match), "a phrase", a OR b, -excluded. Anything
else is read as plain words; a query that is too long or only excludes gets a message.
An empty query browses every session, newest first (the facets still work).

Lifecycle (search/handlers.py): transcript changes, page publish/unpublish/slug/move/delete,
privacy restrictions, theme pages and their session links, speaker/organisation/event
edits and recording deletion enqueue `index_session_task` on commit. When the engine is
down the change is kept as a PendingIndexChange row and retried by every successful index
run, by `search_index --retry-pending` and by `retry_pending_task`.

Pages: /search/?q=&theme=&speaker=&organisation=&event=&year=&language=&page= and the same
as JSON at /api/search/. Engine down -> 503 with a message; a bad query -> 200 with a
message. Every search is logged in QueryLog."""
