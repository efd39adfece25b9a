import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create a superuser 'admin' with a random printed password, if no superuser exists."

    def handle(self, *args, **options):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write("An admin user exists already.")
            return
        password = secrets.token_urlsafe(12)
        # A name and an e-mail address: Wagtail's account settings (where an editor chooses
        # the admin's language) refuse to save a profile without them.
        User.objects.create_superuser(
            "admin", "admin@example.org", password, first_name="Beheerder", last_name="Sessiebibliotheek"
        )
        self.stdout.write(self.style.SUCCESS(f"Created admin user 'admin' with password: {password}"))
