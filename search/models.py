"""What the search app keeps in the main database: the query log and the outbox of
index changes that could not reach the engine yet."""

from django.db import models


class QueryLog(models.Model):
    """One search by a visitor (page or API); an editor report reads zero-result queries."""

    query = models.CharField(max_length=1000, blank=True)
    filters = models.JSONField(default=dict, blank=True)
    page = models.PositiveIntegerField(default=1)
    result_count = models.PositiveIntegerField(
        null=True, blank=True, help_text="Matching sessions; empty on error"
    )
    took_ms = models.FloatField(null=True, blank=True)
    error = models.CharField(
        max_length=255, blank=True, help_text="Why the search gave no results, if it failed"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["result_count", "created_at"], name="querylog_zero_results")]

    def __str__(self):
        return f"{self.query!r} ({self.result_count} results)"


class PendingIndexChange(models.Model):
    """A session whose index entry is out of date because the engine was down.

    One row per session (the latest intent wins: indexing re-reads the database and
    removes the session if it is no longer public). Retried by ``search_index
    --retry-pending``, by the retry task, and after every successful index run."""

    class Action(models.TextChoices):
        INDEX = "index", "Index"
        REMOVE = "remove", "Remove"

    session_id = models.PositiveIntegerField(unique=True)
    action = models.CharField(max_length=8, choices=Action.choices, default=Action.INDEX)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return f"{self.action} session {self.session_id} ({self.attempts} attempts)"
