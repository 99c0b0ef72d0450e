"""Schemathesis over every operation of /api/v1/_openapi (issue 6), in-process on its own database, as a
unit-wide role (the officer) and a department approver: no server error, and every answer conforms to the
document (status code declared, content type, body schema). Valid and invalid inputs are both generated."""
from __future__ import annotations

import datetime as dt
import io
import os
import re
import time
from decimal import Decimal

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,  # noqa: E402
                                               status_code_conformance)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = {GenerationMode.POSITIVE: int(os.environ.get("HUKOU_FUZZ_EXAMPLES", "8")),
            GenerationMode.NEGATIVE: int(os.environ.get("HUKOU_FUZZ_EXAMPLES", "8")) // 2}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
API_CONFIG = {"TESTING": True, "RATELIMIT_STORAGE_URI": "memory://", "REDIS_URL": "",
              "FAB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}


def _seed(app, world: dict) -> dict:
    """Applications, a material, a loan and fees in both departments, so that reads return real rows;
    returns {resource name in the URL: existing ids}."""
    from app.extensions import db
    from app.models import Application, Fee, Material, MaterialType
    from tests.conftest import api_token, make_client

    with app.app_context():
        officer = world["users"]["t_officer"]
        apps = [Application(type=kind, status=status, resident_id=world[res], department_id=world[dept],
                            created_by_id=officer, reason="测试")
                for kind, status, res, dept in [("move_in", "draft", "res_a", "dept_a"),
                                                ("certificate", "submitted", "res_a2", "dept_a"),
                                                ("move_out", "draft", "res_b", "dept_b")]]
        db.session.add_all(apps)
        db.session.add_all([Fee(resident_id=world[res], kind="deposit", amount=Decimal("300.00"), status="unpaid",
                                due_on=dt.date(2026, 12, 31)) for res in ("res_a", "res_b")])
        db.session.commit()
        app_ids = [a.id for a in apps]
        id_card = db.session.scalar(db.select(MaterialType.id).where(MaterialType.code == "id_card"))
    client, headers = make_client(app), api_token(app, "t_officer")
    for app_id in (app_ids[0], app_ids[2]):
        r = client.post("/api/v1/materials/", headers=headers, content_type="multipart/form-data",
                        data={"application_id": str(app_id), "material_type_id": str(id_card),
                              "file": (io.BytesIO(PDF), "身份证.pdf")})
        assert r.status_code == 201, r.get_data(as_text=True)
    r = client.post("/api/v1/loans/", headers=headers, json={"resident_id": world["res_a"], "purpose": "办护照"})
    assert r.status_code == 201, r.get_data(as_text=True)
    with app.app_context():
        ids = {name: [row.id for row in db.session.scalars(db.select(model))]
               for name, model in (("materials", Material), ("fees", Fee), ("applications", Application))}
    ids.update(residents=[world["res_a"], world["res_a2"], world["res_b"]], departments=[world["dept_a"], world["dept_b"]],
               loans=[r.get_json()["id"]])
    return ids


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    """An app on its own database (fuzzing creates, changes and deletes rows) with the world and seed rows."""
    from app import create_app
    from app.bootstrap import bootstrap
    from app.db import migrate
    from tests.conftest import PASSWORD, scratch_database
    from tests.world import build_world

    with scratch_database(tmp_path_factory.mktemp("fuzz"), "hukou_fuzz") as url:
        migrate(url)
        application = create_app({**API_CONFIG, "SQLALCHEMY_DATABASE_URI": url,
                                  "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("fuzz_uploads"))})
        with application.app_context():
            bootstrap(PASSWORD)
            world = build_world(PASSWORD)
        application.config["FUZZ_IDS"] = _seed(application, world)
        yield application


def _resource(path: str) -> str:
    """The resource of an API path: /api/v1/materials/{pk}/file → materials."""
    parts = path.strip("/").split("/")
    return parts[2] if len(parts) > 2 else ""


def _fuzz(operation, mode, headers, known: list[int]) -> list[str]:
    """Run one operation in one generation mode; its failures as text (empty when every check passed).
    Positive cases use an existing id for `pk` half of the time, so reads and writes reach real rows."""
    failures: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    @settings(max_examples=EXAMPLES[mode], deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case, data):
        if mode is GenerationMode.POSITIVE and known and "pk" in (case.path_parameters or {}):
            if data.draw(st.booleans()):
                case.path_parameters["pk"] = data.draw(st.sampled_from(known))
        case.call_and_validate(headers=headers, checks=CHECKS)

    try:
        run()
    except BaseException as err:  # noqa: BLE001 - schemathesis raises an exception group; collect, assert once
        if isinstance(err, KeyboardInterrupt):
            raise
        failures.append(f"{operation.label} [{mode.value}] {type(err).__name__}: {str(err)[:3000]}")
    return failures


def _operations(schema) -> list:
    """Every operation of the document; deletions and logout last, so the others still find their rows."""
    operations = [result.ok() for result in schema.get_all_operations()]
    return sorted(operations, key=lambda op: (op.method.upper() == "DELETE" or op.path.endswith("/logout"),
                                              op.path, op.method))


def test_document_declares_every_path_parameter_and_error(api):
    """The pentest's six custom routes without `pk` (material file/verify/stamp/return/delete, loan return):
    every {name} of every path is a declared integer parameter, and protected routes declare 401/403."""
    c, headers = api("t_officer")
    spec = c.get("/api/v1/_openapi", headers=headers).get_json()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            declared = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "path"}
            for name in re.findall(r"{(\w+)}", path):
                assert name in declared and declared[name]["required"], (method, path, name)
            if operation.get("security"):
                assert {"401", "403"} <= set(operation["responses"]), (method, path)
            assert "500" not in operation["responses"], (method, path)
    for path in ("/api/v1/materials/{pk}/file", "/api/v1/materials/{pk}/verify", "/api/v1/loans/{pk}/return"):
        assert any(p["name"] == "pk" for op in spec["paths"][path].values() for p in op["parameters"])
    body = spec["paths"]["/api/v1/applications/{pk}/transition"]["post"]["requestBody"]
    assert body["required"] and "content" in body


@pytest.mark.parametrize("username", ["t_officer", "t_approver_a"])
def test_every_operation_conforms(fuzz_app, username):
    from tests.conftest import api_token

    headers = api_token(fuzz_app, username)
    schema = schemathesis.openapi.from_wsgi("/api/v1/_openapi", fuzz_app, headers=headers)
    started, failures = time.monotonic(), []
    operations = _operations(schema)
    for operation in operations:
        known = fuzz_app.config["FUZZ_IDS"].get(_resource(operation.path), [])
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures += _fuzz(operation, mode, headers, known)
    print(f"{username}: {len(operations)} operations in {time.monotonic() - started:.1f} s")
    assert len(operations) > 60  # the document lists every API (a truncated document would pass trivially)
    assert failures == [], "\n\n".join(failures)
