"""How a session's related objects read in Wagtail's API v2 (SessionPage.api_fields)."""

from rest_framework import serializers


def _absolute(context, url: str) -> str:
    request = context.get("request")
    return request.build_absolute_uri(url) if request and url else url


class SpeakersField(serializers.Field):
    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, speakers):
        return [
            {
                "name": s.name,
                "role": s.role,
                "organisation": s.organisation.name if s.organisation_id else "",
                "url": _absolute(self.context, s.get_absolute_url()),
            }
            for s in speakers
        ]


class OrganisationsField(serializers.Field):
    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, organisations):
        return [
            {"name": org.name, "url": _absolute(self.context, org.get_absolute_url())}
            for org in organisations.all()
        ]


class ThemesField(serializers.Field):
    """The session's visible themes (SessionPage.themes leaves private ones out)."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, themes):
        return [{"id": t.pk, "title": t.title, "url": _absolute(self.context, t.url)} for t in themes]


class AbsoluteURLField(serializers.Field):
    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, url):
        return _absolute(self.context, url) or None


class AbsoluteURLsField(serializers.Field):
    """{format: URL} with absolute URLs; null when there is nothing (no finished transcript)."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, urls):
        return {name: _absolute(self.context, url) for name, url in urls.items()} or None
