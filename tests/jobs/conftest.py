from tests.jobs.processes import shared_database  # noqa: F401 (the fixture)
