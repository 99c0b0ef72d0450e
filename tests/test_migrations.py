"""The Alembic history matches the models and downgrades cleanly (on the database of this run)."""
import os
import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_appbuilder import Model
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import app.models  # noqa: F401
from app.db import alembic_config, migrate


@pytest.fixture
def scratch_url(tmp_path):
    """An empty database of the same kind as the test run."""
    base = os.environ.get("HUKOU_TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'mig.db'}"
        return
    name = f"hukou_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(base).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


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
