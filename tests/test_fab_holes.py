def test_probe(login, api, world):
    c = login("t_officer")
    for url in ["/residentview/list/?_oc_ResidentView=bogus", "/residentview/list/?psize_ResidentView=abc",
                "/residentview/list/?_flt_9_name=x", "/residentview/list/?_flt_0_bogus=x",
                "/residentview/list/?_flt_x_name=x", "/residentview/list/?page_ResidentView=-1",
                "/residentview/list/?page_ResidentView=99999", "/residentview/download/x",
                f"/residentview/show/{world['res_a']}?_oc_ResidentView=bogus",
                "/residentview/show/abc", "/residentview/show/999999", "/residentview/edit/abc",
                "/residentview/action/mark_leaving/1", "/residentview/action_post",
                "/residentview/list/?_flt_0_department=abc", "/residentview/list/?_flt_0_department=999999",
                "/residentview/list/?_flt_0_leave_date=notadate", "/residentview/list/?_flt_0_name=%00",
                ]:
        r = c.get(url)
        print(url, r.status_code, r.headers.get("Location"))
    ac, h = api("t_officer")
    for url in ["/api/v1/residents/?q=(order_column:bogus,order_direction:asc)",
                "/api/v1/residents/?q=(page_size:abc)", "/api/v1/residents/?q=(page_size:1000)",
                "/api/v1/residents/?q=(filters:!((col:bogus,opr:eq,value:x)))",
                "/api/v1/residents/?q=(filters:!((col:name,opr:bogus,value:x)))",
                "/api/v1/residents/?q=(filters:!((col:leave_date,opr:eq,value:notadate)))",
                "/api/v1/residents/?q=(filters:!((col:department_id,opr:rel_o_m,value:abc)))",
                "/api/v1/residents/?q=garbage(", "/api/v1/residents/abc", "/api/v1/residents/999999",
                "/api/v1/residents/_info", "/api/v1/residents/related/department",
                f"/api/v1/residents/{world['res_a']}?q=(columns:!(id_number))",
                "/api/v1/residents/?q=(columns:!(id_number,phone))",
                "/api/v1/residents/?q=(keys:!(list_columns),columns:!(id_number))",
                ]:
        r = ac.get(url, headers=h)
        print(url, r.status_code, r.get_data(as_text=True)[:300])
    assert 0
