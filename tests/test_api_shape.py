"""The REST API's resources and field names are the ones the foundation issue promises."""
import pytest


@pytest.mark.parametrize("resource,fields", [
    ("residents", {"name", "id_number", "gender", "birth_date", "department_id", "status", "phone", "hire_date",
                   "leave_date"}),
    ("applications", {"type", "status", "resident_id", "department_id", "reason"}),
    ("materials", {"application_id"}),
    ("departments", {"name"}),
    ("loans", {"resident_id"}),
])
def test_list_fields(api, resource, fields):
    c, headers = api("t_officer")
    r = c.get(f"/api/v1/{resource}/_info?q=(keys:!(add_columns,edit_columns))", headers=headers)
    assert r.status_code == 200, r.get_data(as_text=True)
    r = c.get(f"/api/v1/{resource}/", headers=headers)
    assert r.status_code == 200
    body = r.get_json()
    assert fields <= set(body["list_columns"]), set(body["list_columns"])


def test_api_requires_a_token(client):
    assert client.get("/api/v1/residents/").status_code == 401
