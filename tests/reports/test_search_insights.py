"""Search insights: searches per day, top queries, queries that found nothing."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.test import TestCase
from django.utils import dateformat, timezone, translation

from reports import search_insights
from search.models import QueryLog


def log(query, results, days_ago=0, **fields):
    entry = QueryLog.objects.create(query=query, result_count=results, took_ms=12.0, **fields)
    if days_ago:
        QueryLog.objects.filter(pk=entry.pk).update(
            created_at=timezone.now() - datetime.timedelta(days=days_ago)
        )
    return entry


@pytest.mark.usefixtures("editors_prefer_english")  # the admin in English
class SearchInsightsTests(TestCase):
    def setUp(self):
        self.user = get_user_model().objects.create_superuser("boss", "boss@example.org", "pw")
        self.client.force_login(self.user)

    def test_zero_result_query_is_listed_after_it_is_made(self):
        log("open data", 3)
        log("Open Data ", 2)
        log("open data", 4, days_ago=1)
        log("kwantumcomputers", 0)
        log("kwantumcomputers", 0, days_ago=2)
        log("heel oud", 0, days_ago=45)  # outside the 30 days
        log("", 7)  # browsing facets without typing: not a query

        response = self.client.get("/admin/editor-reports/search-insights/")
        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        self.assertIn("Queries that found nothing", html)
        zero = response.context["zero_result_queries"]
        self.assertEqual([(r["term"], r["searches"]) for r in zero], [("kwantumcomputers", 2)])
        self.assertIn("<td>kwantumcomputers</td><td>2</td>", html)
        self.assertNotIn("heel oud", html)
        top = response.context["top_queries"]
        self.assertEqual(
            [(r["term"], r["searches"]) for r in top], [("open data", 3), ("kwantumcomputers", 2)]
        )
        self.assertIn("(5 in all)", html)

    def test_a_real_search_that_finds_nothing_shows_up(self):
        # Through the public search page (the embedded engine, empty index): it logs the query.
        response = self.client.get("/search/", {"q": "zeppelinhaven"})
        self.assertEqual(response.status_code, 200)
        logged = QueryLog.objects.get()
        self.assertEqual((logged.query, logged.result_count, logged.error), ("zeppelinhaven", 0, ""))
        html = self.client.get("/admin/editor-reports/search-insights/").content.decode()
        zero_section = html[html.index("Queries that found nothing") :]
        self.assertIn("<td>zeppelinhaven</td><td>1</td>", zero_section)

    def test_searches_per_day_covers_every_day_with_zeros(self):
        log("a", 1)
        log("b", 1)
        log("c", 0, days_ago=3)
        per_day = search_insights.searches_per_day(30)
        self.assertEqual(len(per_day), 30)
        self.assertEqual(per_day[-1], (timezone.localdate(), 2))
        self.assertEqual(per_day[-4], (timezone.localdate() - datetime.timedelta(days=3), 1))
        self.assertEqual(sum(n for _day, n in per_day), 3)
        # The chart: one column per day, each with its date and count as text.
        html = self.client.get("/admin/editor-reports/search-insights/").content.decode()
        with translation.override("en"):  # the editor reads the admin in English
            today = dateformat.format(timezone.localdate(), "D j M")
        self.assertIn(f"<title>{today}: 2</title>", html)
        self.assertEqual(html.count("<rect "), 30)
        self.assertIn("Busiest day:", html)

    def test_empty_log_says_so(self):
        html = self.client.get("/admin/editor-reports/search-insights/").content.decode()
        self.assertIn("No searches in the last 30 days.", html)
        self.assertIn("Every search in the last 30 days found something.", html)
