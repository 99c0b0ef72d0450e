"""The Alembic history matches the models and downgrades cleanly (on the database of this run)."""
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_appbuilder import Model
from sqlalchemy import create_engine

import app.models  # noqa: F401
from app.db import alembic_config, migrate
from tests.conftest import scratch_database


@pytest.fixture
def scratch_url(tmp_path):
    """An empty database of the same kind as the test run."""
    with scratch_database(tmp_path, "hukou_mig") as url:
        yield url


def test_head_matches_models_and_downgrades(scratch_url):
    migrate(scratch_url)
    engine = create_engine(scratch_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Model.metadata)
    assert diff == [], diff
    command.downgrade(alembic_config(scratch_url), "base")
    with engine.connect() as conn:
        left = set(engine.dialect.get_table_names(conn)) - {"alembic_version"}
    engine.dispose()
    assert left == set()
    migrate(scratch_url)  # and back up again: the history is repeatable
