"""Smoke: the app starts, the login page is Chinese, officer sees residents."""


def test_login_page_is_chinese(client):
    r = client.get("/login/")
    assert r.status_code == 200
    assert "登录" in r.get_data(as_text=True)


def test_officer_lists_residents(login):
    c = login("t_officer")
    for name in ("张三", "李四"):
        r = c.get(f"/residentview/list/?_flt_0_name={name}")
        assert r.status_code == 200
        assert name in r.get_data(as_text=True)


def test_openapi_spec_served(api):
    c, headers = api("t_officer")
    r = c.get("/api/v1/_openapi", headers=headers)
    assert r.status_code == 200
    paths = r.get_json()["paths"]
    assert "/api/v1/residents/" in paths and "/api/v1/applications/{pk}/transition" in paths


def test_create_audit_row_has_object_id(app, world):
    from sqlalchemy import select

    from app.extensions import db
    from app.models import AuditLog, Department

    with app.app_context():
        d = Department(code="AUD1", name="审计测试部门")
        db.session.add(d)
        db.session.commit()
        row = db.session.scalars(select(AuditLog).where(AuditLog.object_type == "Department",
                                                        AuditLog.action == "create")
                                 .order_by(AuditLog.id.desc())).first()
        assert row.object_id == str(d.id)


def test_api_integrity_conflict_is_422_not_500(app):
    """A unique clash that slips past validation (a race) is a clean Chinese 422, not FAB's 500."""
    from sqlalchemy.exc import IntegrityError

    def clash():
        raise IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))

    api_view = next(v for v in app.appbuilder.baseviews if type(v).__name__ == "ResidentApi")
    with app.test_request_context("/api/v1/residents/", method="POST"):
        r = api_view._guarded(clash)
    assert r.status_code == 422
    assert r.get_json()["message"] == "该修改与已有数据冲突"


def test_trusted_proxy_gives_client_ip_to_audit(tmp_path):
    """With HUKOU_TRUSTED_PROXIES=1 the audit trail records the X-Forwarded-For client, not the proxy."""
    from sqlalchemy import select

    from app import create_app
    from app.bootstrap import bootstrap
    from app.db import migrate
    from app.extensions import db
    from app.models import AuditLog

    url = f"sqlite:///{tmp_path / 'proxy.db'}"
    migrate(url)
    application = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "HUKOU_TRUSTED_PROXIES": 1,
                              "RATELIMIT_STORAGE_URI": "memory://", "UPLOAD_FOLDER": str(tmp_path)})
    with application.app_context():
        bootstrap("Proxy-pass-1")
    c = application.test_client()
    c.post("/api/v1/security/login", json={"username": "admin", "password": "wrong", "provider": "db"},
           headers={"X-Forwarded-For": "192.0.2.7"}, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    with application.app_context():
        row = db.session.scalars(select(AuditLog).where(AuditLog.action == "login_failed")).first()
        assert row.ip == "192.0.2.7"
