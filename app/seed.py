"""Reference data seeded at first run: material types and each application type's checklist (DOMAIN.md)."""
from __future__ import annotations

MATERIAL_TYPES = {
    "id_card": "居民身份证",
    "labor_contract": "劳动合同",
    "report_card": "报到证",
    "social_security": "社保缴纳记录",
    "diploma": "学历学位证书",
    "migration_cert": "户口迁移证",
    "admission_cert": "准予迁入证明",
    "leave_cert": "离职证明",
    "destination_permit": "迁入地准迁证",
    "purpose_statement": "借用用途说明",
    "marriage_cert": "结婚证",
    "name_change_docs": "姓名变更证明材料",
    "loss_report": "遗失证明",
    "photo": "证件照片",
}

# app type → [(material code, required)]
CHECKLISTS = {
    "move_in": [("id_card", True), ("labor_contract", True), ("social_security", True), ("diploma", True),
                ("migration_cert", True), ("admission_cert", True), ("report_card", False)],
    "move_out": [("id_card", True), ("leave_cert", True), ("destination_permit", True)],
    "borrow_page": [("id_card", True), ("purpose_statement", True)],
    "certificate": [("id_card", True)],
    "info_change": [("id_card", True), ("marriage_cert", False), ("diploma", False), ("name_change_docs", False)],
    "id_card": [("id_card", False), ("loss_report", False), ("photo", True)],
    "page_reissue": [("id_card", True), ("loss_report", True)],
}
