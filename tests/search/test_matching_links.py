"""Where a moment's link starts: words said twice in it, or aligned a few letters early."""

import pytest

from search.engines.matching import Matcher, _tokens, plan_query
from search.engines.query_syntax import parse_query

# "Denk je dat die hendel effect heeft?" as the model wrote it, after another "je dat".
TEXT = "Hoe weet je dat zo zeker? Denk je dat hij aan het verkt heeft tot omacht need?"


def test_of_two_equal_stretches_the_link_starts_where_the_sounds_align():
    plan = plan_query(parse_query("je dat die hendel effect"))
    found = Matcher(plan, "nl").match(TEXT)
    words = _tokens(TEXT, "nl").plains
    assert found is not None
    assert words[found.first_token - 1 : found.first_token + 2] == ("denk", "je", "dat")


def test_a_single_word_still_links_to_its_first_occurrence():
    found = Matcher(plan_query(parse_query("zeker")), "nl").match(TEXT)
    assert found is not None and found.first_token == 5


# The end of what was said differs from what the visitor typed, so the aligned window (as long
# as the query) begins a few letters early, in the word before: the link starts where the
# shared letters do.
@pytest.mark.parametrize(
    ("query", "text", "linked"),
    [
        (
            "ben blij dat we hier",
            "Ik kom hier nooit doorheen, we moeten in de andere uitgangszoeken. "
            "En blij dat we hier niks prongelijk aankullen zetten. Waal, we moeten start werken",
            "en",
        ),
        (
            "denk dat deze kristallen na",
            "Maar dat gaat misschien wel wat tijd kosten. Ik hou niet zo'n op IJuliet Korouw. "
            "Ik denk dat deze pistel... Wat is dat eigenlijk voor raar dingen naar boven?",
            "denk",
        ),
    ],
)
def test_the_link_does_not_start_in_the_word_before_the_aligned_words(query, text, linked):
    found = Matcher(plan_query(parse_query(query)), "nl").match(text)
    assert found is not None
    assert _tokens(text, "nl").plains[found.first_token] == linked
