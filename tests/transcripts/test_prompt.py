"""The Whisper prompt built from a session's metadata, and the guard against prompt echoes."""

import pytest

from library.models import Organisation
from tests.factories import make_recording, make_session
from transcripts.prompt import MAX_PROMPT_CHARS, build_prompt, is_prompt_echo, prompt_for_recording


def test_prompt_holds_title_names_themes_and_summary_in_that_order():
    prompt = build_prompt(
        title="Open data en de burger",
        speakers=["Pieter Jansen"],
        organisations=["Gemeente Zandvoorde"],
        themes=["Digitale overheid", "Working in the open"],
        summary="Een gemeente publiceert haar data open; wat levert dat op?",
    )
    assert prompt == (
        "Open data en de burger. Pieter Jansen, Gemeente Zandvoorde. Digitale overheid, "
        "Working in the open. Een gemeente publiceert haar data open; wat levert dat op?"
    )


def test_empty_metadata_gives_no_prompt():
    assert build_prompt() == ""
    assert build_prompt(title="  ", speakers=["", " "], summary="\n") == ""


def test_title_and_names_without_a_summary_give_no_prompt():
    # What the dev set's programme holds: it raised the WER on real Dutch speech (bench/prompt.py).
    dev_set = dict(title="Oefensessie 1", speakers=["Spreker Een", "Spreker Twee"], themes=["Toetsing"])
    assert build_prompt(**dev_set) == ""
    assert build_prompt(**dev_set, summary="Over toetsing.") == ""  # fewer than MIN_SUMMARY_WORDS
    assert build_prompt(**dev_set, summary="Wat we leerden van vier jaar toetsing.").startswith(
        "Oefensessie 1."
    )


def test_parts_appear_once_and_whitespace_is_tidied():
    prompt = build_prompt(
        title="Werken  in\nhet open",
        speakers=["Emily Carter", "emily carter"],
        themes=["Werken in het open"],
        summary="Code  en besluiten openbaar\nmaken.",
    )
    assert prompt == "Werken in het open. Emily Carter. Code en besluiten openbaar maken."


def test_length_is_capped_at_a_word_boundary_and_the_summary_is_cut_first():
    summary = " ".join(["duurzaamheid"] * 60)
    prompt = build_prompt(title="Duurzaam inkopen", speakers=["Daan Bakker"], summary=summary)
    assert len(prompt) <= MAX_PROMPT_CHARS
    assert prompt.startswith("Duurzaam inkopen. Daan Bakker. duurzaamheid")
    assert prompt.endswith("duurzaamheid")  # whole words only
    many = [f"Spreker {i}" for i in range(100)]
    short = "Een korte samenvatting van de sessie."
    capped = build_prompt(title="Lange lijst", speakers=many, summary=short, max_chars=60)
    assert capped == f"Lange lijst. {short}"  # the names no longer fit whole: left out, not cut mid-list
    assert build_prompt(title="x" * 300, summary=short) == short  # a title longer than the cap is left out


PROMPT = "Innovatie in de publieke sector. Anouk de Vries, Rijksdienst voor Digitale Dienstverlening."


@pytest.mark.parametrize(
    "text",
    [
        PROMPT,
        "Anouk de Vries, Rijksdienst voor Digitale Dienstverlening.",
        "innovatie in de publieke sector anouk de vries",
    ],
)
def test_a_long_stretch_of_the_prompt_is_an_echo(text):
    assert is_prompt_echo(text, PROMPT)


@pytest.mark.parametrize(
    "text",
    [
        "Innovatie in de publieke sector.",  # a speaker may say the title
        # more than the prompt
        "Welkom bij deze sessie over innovatie in de publieke sector, Anouk de Vries.",
        "Anouk de Vries, Digitale Dienstverlening van de Rijksdienst.",  # not one stretch, in order
        "",
    ],
)
def test_speech_that_mentions_the_prompt_is_kept(text):
    assert not is_prompt_echo(text, PROMPT)


def test_a_short_prompt_is_echoed_when_repeated_whole():
    assert is_prompt_echo("Duurzaam inkopen.", "Duurzaam inkopen.") is False  # 2 words: too short to tell
    assert is_prompt_echo("Open data en de burger.", "Open data en de burger.")
    assert not is_prompt_echo("anything", "")


@pytest.mark.django_db
def test_prompt_for_recording_reads_the_sessions_using_it(home):
    recording = make_recording(title="upload.m4a")
    assert prompt_for_recording(recording) == ""  # no session yet: no prompt
    session = make_session(
        home,
        title="Duurzaam inkopen",
        language="nl",
        recording=recording,
        speakers=["Daan Bakker"],
        summary="Hoe inkoop bijdraagt aan een duurzame overheid.",
    )
    session.organisations.add(Organisation.objects.create(name="Gemeente Zandvoorde"))
    session.save()
    expected = (
        "Duurzaam inkopen. Daan Bakker, Gemeente Zandvoorde. Hoe inkoop bijdraagt aan een duurzame overheid."
    )
    assert prompt_for_recording(recording) == expected
