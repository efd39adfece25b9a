"""Signal receivers: they only work out *which* sessions changed and, on commit, enqueue
index_session_task for each; the task decides (index, or remove if no longer public)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_delete
from wagtail.models import Page, PageViewRestriction
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

from library.models import Event, Organisation, Recording, SessionPage, Speaker, ThemePage, ThemeSession
from search import indexing
from search.tasks import index_session_task
from transcripts.models import Transcript
from transcripts.signals import transcript_changed

logger = logging.getLogger(__name__)


def schedule(session_ids) -> None:
    """Enqueue an index job per session once the current transaction commits.

    ``robust``: the editor's change is committed by then, and a job that cannot be queued
    (the database busy, the tasks backend down) must never turn the publish into an error;
    the session goes to the outbox instead, which the next search or index run retries."""
    ids = sorted({int(pk) for pk in session_ids if pk})
    if not ids:
        return

    def enqueue():
        for session_id in ids:
            try:
                index_session_task.enqueue(session_id)
            except Exception as error:  # whatever stopped it, the outbox keeps the change
                logger.warning("Could not queue indexing of session %s: %s", session_id, error)
                indexing.keep_for_retry(session_id, error)

    transaction.on_commit(enqueue, robust=True)


def _sessions_under(page: Page) -> list[int]:
    """The page itself if it is a session, and every session below it."""
    return list(SessionPage.objects.descendant_of(page, inclusive=True).values_list("pk", flat=True))


def _sessions_seen_through(page: Page) -> list[int]:
    """Every session whose document a change of this page's visibility or place can change
    (privacy, unpublish, move, slug): the sessions at or below it, and the sessions that
    the themes at or below it list, because a document carries its visible themes' titles."""
    themes = ThemePage.objects.descendant_of(page, inclusive=True)
    listed = ThemeSession.objects.filter(theme__in=themes).values_list("session_id", flat=True)
    return [*_sessions_under(page), *listed]


def _theme_sessions(theme_id: int) -> list[int]:
    return list(ThemeSession.objects.filter(theme_id=theme_id).values_list("session_id", flat=True))


def on_transcript_changed(sender, transcript=None, recording_id=None, **kwargs):
    recording_id = recording_id or getattr(transcript, "recording_id", None)
    if recording_id:
        schedule(SessionPage.objects.filter(recording_id=recording_id).values_list("pk", flat=True))


def on_page_published(sender, instance, **kwargs):
    """A new version of the session, or of a theme (its title is in its sessions' documents)."""
    if issubclass(sender, SessionPage) or isinstance(instance, SessionPage):
        schedule([instance.pk])
    elif issubclass(sender, ThemePage) or isinstance(instance, ThemePage):
        schedule(_theme_sessions(instance.pk))


def on_page_hidden_or_moved(sender, instance, **kwargs):
    # Unpublished, moved (under or out of a private section) or renamed (urls): any page,
    # a section included, may hide or show sessions and themes below it.
    schedule(_sessions_seen_through(instance))


def on_session_deleted(sender, instance, **kwargs):
    schedule([instance.pk])


def on_theme_link_changed(sender, instance, **kwargs):
    # Rows change when a theme is published (modelcluster writes them) or deleted.
    schedule([instance.session_id])


def on_restriction_changed(sender, instance, **kwargs):
    try:
        page = instance.page
    except Page.DoesNotExist:  # the page itself is being deleted: its own handler covers it
        return
    schedule(_sessions_seen_through(page))


def on_recording_deleted(sender, instance, **kwargs):
    # Its sessions lose the recording (and the transcript) without being saved themselves.
    schedule(instance.sessions.values_list("pk", flat=True))


def on_speaker_changed(sender, instance, **kwargs):
    schedule(instance.session_links.values_list("page_id", flat=True))


def on_organisation_changed(sender, instance, **kwargs):
    schedule(instance.sessions.values_list("pk", flat=True))


def on_event_changed(sender, instance, **kwargs):
    schedule(instance.sessions.values_list("pk", flat=True))


def connect() -> None:
    uid = "search.handlers"
    transcript_changed.connect(on_transcript_changed, sender=Transcript, dispatch_uid=f"{uid}.transcript")
    page_published.connect(on_page_published, dispatch_uid=f"{uid}.published")
    page_unpublished.connect(on_page_hidden_or_moved, dispatch_uid=f"{uid}.unpublished")
    page_slug_changed.connect(on_page_hidden_or_moved, dispatch_uid=f"{uid}.slug")
    post_page_move.connect(on_page_hidden_or_moved, dispatch_uid=f"{uid}.moved")
    post_delete.connect(on_session_deleted, sender=SessionPage, dispatch_uid=f"{uid}.session_deleted")
    post_save.connect(on_theme_link_changed, sender=ThemeSession, dispatch_uid=f"{uid}.theme_link_saved")
    post_delete.connect(on_theme_link_changed, sender=ThemeSession, dispatch_uid=f"{uid}.theme_link_deleted")
    post_save.connect(
        on_restriction_changed, sender=PageViewRestriction, dispatch_uid=f"{uid}.restriction_saved"
    )
    post_delete.connect(
        on_restriction_changed, sender=PageViewRestriction, dispatch_uid=f"{uid}.restriction_deleted"
    )
    pre_delete.connect(on_recording_deleted, sender=Recording, dispatch_uid=f"{uid}.recording_deleted")
    # Snippets: saved (renamed) or about to be deleted (the links still exist then).
    for model, receiver in (
        (Speaker, on_speaker_changed),
        (Organisation, on_organisation_changed),
        (Event, on_event_changed),
    ):
        post_save.connect(receiver, sender=model, dispatch_uid=f"{uid}.{model.__name__}.saved")
        pre_delete.connect(receiver, sender=model, dispatch_uid=f"{uid}.{model.__name__}.deleted")
