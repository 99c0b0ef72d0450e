"""The password policy (≥ 10 characters, not the user name, not a common password) on every path that sets a
password, in Chinese; changing one's own password asks for the current one."""
from __future__ import annotations

import uuid

import pytest
from click.testing import Result

from app.security import passwords
from app.security.passwords import PasswordPolicyError, problems
from tests.conftest import PASSWORD, make_client, web_login

USERS_API = "/api/v1/security/users/"


def codes(password: str, username: str | None = None) -> list[str]:
    """The policy's message codes for a password."""
    return [m.code for m in problems(password, username)]


# ---- the rule itself ----

@pytest.mark.parametrize("password", ["1", "short-1", "Demo-2026", "a" * 9])
def test_shorter_than_ten_is_refused(password):
    assert "password_short" in codes(password)


@pytest.mark.parametrize("password", ["123456789012", "password2026", "Password2026!", "woaini1314", "qwertyuiop",
                                      "1qaz2wsx3edc", "aaaaaaaaaaaa", "abcabcabcabc", "zhangwei1988", "P@ssw0rd123"])
def test_common_and_trivial_passwords_are_refused(password):
    assert "password_common" in codes(password)


@pytest.mark.parametrize("password,username", [("wang.xiaoming", "wang.xiaoming"),
                                               ("Wang.Xiaoming-2026", "wang.xiaoming"), ("my-admin-pass-77", "admin")])
def test_user_name_in_the_password_is_refused(password, username):
    assert "password_username" in codes(password, username)


@pytest.mark.parametrize("password,username", [(PASSWORD, "t_officer"), ("Demo-pass-2026", "admin"),
                                               ("Bench-pass-2026", "bench_officer"), ("Li-Climbing-77", "li"),
                                               ("长城脚下的小院子2026", "zhang")])
def test_reasonable_passwords_pass(password, username):
    assert codes(password, username) == []


def test_common_list_is_shipped_with_thousands_of_entries():
    words = passwords.common_passwords()
    assert len(words) > 2000
    for word in ["123456", "password", "qwerty", "111111", "woaini1314", "a1234567", "5201314", "iloveyou"]:
        assert word in words


def test_check_raises_with_every_reason():
    with pytest.raises(PasswordPolicyError) as err:
        passwords.check("admin", "admin")
    assert {m.code for m in err.value.messages} == {"password_short", "password_username", "password_common"}


# ---- every path that sets a password ----

def _new_name() -> str:
    return f"t_pw_{uuid.uuid4().hex[:8]}"


def _role_id(app, role: str = "Employee") -> int:
    with app.app_context():
        return app.appbuilder.sm.find_role(role).id


def _user(app, name: str):
    with app.app_context():
        return app.appbuilder.sm.find_user(username=name)


def _add_form(app, name: str, password: str, csrf: str) -> dict:
    return {"first_name": "测", "last_name": "试", "username": name, "active": "y", "email": f"{name}@example.test",
            "roles": str(_role_id(app)), "password": password, "conf_password": password, "csrf_token": csrf}


@pytest.mark.parametrize("password,reason", [("1", "至少需要 10 个字符"), ("Password2026!", "过于常见"),
                                             ("{name}-2026-ok", "不能包含用户名")])
def test_user_add_screen_applies_the_policy(app, login, password, reason):
    admin = login("t_admin")
    name = _new_name()
    r = admin.post("/users/add", data=_add_form(app, name, password.format(name=name), admin.csrf))
    assert r.status_code == 200  # the form again, with the message
    assert reason in r.get_data(as_text=True)
    assert _user(app, name) is None


def test_user_add_screen_accepts_a_good_password(app, login):
    admin = login("t_admin")
    name = _new_name()
    r = admin.post("/users/add", data=_add_form(app, name, "Good-pass-for-2027", admin.csrf))
    assert r.status_code == 302
    assert _user(app, name) is not None
    web_login(app, name, "Good-pass-for-2027")


def _fresh_user(app, role: str = "Employee") -> tuple[str, int]:
    name = _new_name()
    with app.app_context():
        sm = app.appbuilder.sm
        return name, sm.add_user(name, "测", "试", f"{name}@example.test", sm.find_role(role), password=PASSWORD).id


def test_admin_reset_password_applies_the_policy(app, login):
    name, uid = _fresh_user(app)
    admin = login("t_admin")
    weak = admin.post(f"/resetpassword/form?pk={uid}", data={"password": f"{name}1234", "conf_password": f"{name}1234",
                                                            "csrf_token": admin.csrf})
    assert weak.status_code == 200 and "不能包含用户名" in weak.get_data(as_text=True)
    web_login(app, name)  # unchanged
    good = admin.post(f"/resetpassword/form?pk={uid}", data={
        "password": "Reset-pass-2027", "conf_password": "Reset-pass-2027", "csrf_token": admin.csrf})
    assert good.status_code == 302
    web_login(app, name, "Reset-pass-2027")


def test_admin_reset_password_of_unknown_user_is_404(login):
    admin = login("t_admin")
    assert admin.get("/resetpassword/form?pk=999999").status_code == 404
    r = admin.post("/resetpassword/form?pk=999999", data={"password": "Reset-pass-2027",
                                                         "conf_password": "Reset-pass-2027", "csrf_token": admin.csrf})
    assert r.status_code == 404


def _change_own(client, old: str | None, new: str):
    data = {"password": new, "conf_password": new, "csrf_token": client.csrf}
    if old is not None:
        data["old_password"] = old
    return client.post("/resetmypassword/form", data=data)


def test_own_password_change_needs_the_current_password(app):
    name, _ = _fresh_user(app)
    c = web_login(app, name)
    missing = _change_own(c, None, "Mine-new-pass-2027")
    assert missing.status_code == 200 and "当前密码" in missing.get_data(as_text=True)
    wrong = _change_own(c, "not-my-password", "Mine-new-pass-2027")
    assert wrong.status_code == 200 and "当前密码不正确" in wrong.get_data(as_text=True)
    web_login(app, name)  # both refused: the old password still works
    assert _change_own(c, PASSWORD, "Mine-new-pass-2027").status_code == 302
    web_login(app, name, "Mine-new-pass-2027")


def test_own_password_change_applies_the_policy(app):
    name, _ = _fresh_user(app)
    c = web_login(app, name)
    r = _change_own(c, PASSWORD, "1")
    assert r.status_code == 200 and "至少需要 10 个字符" in r.get_data(as_text=True)
    web_login(app, name)


def _admin_api(app):
    c = make_client(app)
    r = c.post("/api/v1/security/login", json={"username": "t_admin", "password": PASSWORD, "provider": "db"})
    return c, {"Authorization": f"Bearer {r.get_json()['access_token']}"}


@pytest.mark.parametrize("password", ["1", "Password2026!", "{name}-2026-ok"])
def test_users_api_create_applies_the_policy(app, password):
    c, headers = _admin_api(app)
    name = _new_name()
    r = c.post(USERS_API, headers=headers, json={
        "username": name, "first_name": "测", "last_name": "试", "email": f"{name}@example.test",
        "password": password.format(name=name), "roles": [_role_id(app)]})
    assert r.status_code == 400, r.get_data(as_text=True)
    assert "密码" in str(r.get_json()["message"]["password"])
    assert _user(app, name) is None


def test_users_api_update_applies_the_policy(app):
    name, uid = _fresh_user(app)
    c, headers = _admin_api(app)
    r = c.put(f"{USERS_API}{uid}", headers=headers, json={"password": f"{name}-2026-ok"})
    assert r.status_code == 400 and "不能包含用户名" in str(r.get_json()["message"])
    web_login(app, name)  # unchanged
    assert c.put(f"{USERS_API}{uid}", headers=headers, json={"password": "Api-set-pass-2027"}).status_code == 200
    web_login(app, name, "Api-set-pass-2027")


def test_security_manager_add_user_applies_the_policy(app):
    with app.app_context():
        sm = app.appbuilder.sm
        with pytest.raises(PasswordPolicyError):
            sm.add_user(_new_name(), "测", "试", f"{uuid.uuid4().hex}@example.test", sm.find_role("Employee"),
                        password="1")


def test_demo_command_refuses_a_weak_password(app):
    result: Result = app.test_cli_runner().invoke(args=["hukou", "demo", "--password", "Demo-2026"])
    assert result.exit_code != 0
    assert "密码至少需要 10 个字符" in result.output
