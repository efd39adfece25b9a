"""Replace Wagtail's welcome page with the library's home page (as Wagtail's project template does)."""

from django.db import migrations


def create_homepage(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    Site = apps.get_model("wagtailcore.Site")
    Locale = apps.get_model("wagtailcore.Locale")
    HomePage = apps.get_model("library.HomePage")

    Page.objects.filter(id=2, depth=2).delete()
    content_type, _ = ContentType.objects.get_or_create(model="homepage", app_label="library")
    locale = Locale.objects.first()
    homepage = HomePage.objects.create(
        title="Session Library",
        draft_title="Session Library",
        slug="home",
        content_type=content_type,
        path="00010001",
        depth=2,
        numchild=0,
        url_path="/home/",
        locale_id=locale.pk if locale else None,
    )
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "root_page": homepage, "port": 80, "site_name": "Session Library"},
    )


def remove_homepage(apps, schema_editor):
    apps.get_model("library.HomePage").objects.filter(slug="home", depth=2).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("library", "0001_initial"),
        ("wagtailcore", "0097_baselogentry_uuid_action_timestamp_indexes"),
    ]

    operations = [migrations.RunPython(create_homepage, remove_homepage)]
