"""Smoke: the app starts, the login page is Chinese, officer sees residents."""


def test_login_page_is_chinese(client):
    r = client.get("/login/")
    assert r.status_code == 200
    assert "登录" in r.get_data(as_text=True)


def test_officer_lists_residents(login):
    c = login("t_officer")
    r = c.get("/residentview/list/")
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    assert "张三" in body and "李四" in body
