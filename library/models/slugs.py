"""The one way a slug is made from a name or title: slugified, then made unique."""

import itertools
from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils.text import slugify


def unique_slug(
    text: str, taken: QuerySet, *, fallback: str = "item", max_length: int = 200, prefer: Iterable[str] = ()
) -> str:
    """``slugify(text)``, or the first of ``text-<prefer…>``, ``text-2``, ``text-3``… that no
    object in ``taken`` has (a page's siblings, or all other snippets of a kind)."""
    base = slugify(text)[:max_length] or fallback
    used = set(taken.filter(slug__startswith=base).values_list("slug", flat=True))
    extra = (f"{base}-{suffix}" for suffix in prefer)
    numbered = (f"{base}-{n}" for n in itertools.count(2))
    return next(slug for slug in itertools.chain([base], extra, numbered) if slug not in used)
