import pytest

from tests.factories import make_home


@pytest.fixture
def home(db):
    return make_home()
