"""The site speaks Dutch by default: tests that look for a message look for its Dutch text.

``nl("English msgid")`` is what a Dutch visitor or editor reads (the msgid itself where a
message is not translated yet; tests/test_translations.py checks that none is left)."""

from django.utils import translation


def nl(message: str) -> str:
    with translation.override("nl"):
        return translation.gettext(message)


def en(message: str) -> str:
    with translation.override("en"):
        return translation.gettext(message)


def english_url(page) -> str:
    """A page's address on the English site (/en/...), whatever language is active."""
    with translation.override("en"):
        return page.get_url()


def in_language(language: str, message: str) -> str:
    with translation.override(language):
        return translation.gettext(message)


def localized_path(path: str, language: str) -> str:
    """A Dutch (unprefixed) site path as the same page in ``language`` (/sessies/ -> /en/sessions/)."""
    from django.urls import translate_url

    with translation.override("nl"):
        return translate_url(path, language)
