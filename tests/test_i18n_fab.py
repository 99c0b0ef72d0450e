"""FAB's own UI must be fully Chinese through the app catalog, and the app's .mo must match its .po."""
from __future__ import annotations

import importlib.util
import re
import sys
from io import BytesIO
from pathlib import Path

import jinja2
import pytest
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR / "translations"))
import check_catalog  # noqa: E402

APP_PO = REPO_DIR / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
APP_MO = APP_PO.with_suffix(".mo")
OVERRIDES_DIR = REPO_DIR / "app" / "templates" / "appbuilder"
FAB_TEMPLATES_DIR = check_catalog.FAB_DIR / "templates" / "appbuilder"
CJK = re.compile(r"[\u4e00-\u9fff]")
EXTERNAL_URL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)


def _merged() -> dict[str, str | tuple[str, ...]]:
    """FAB's zh catalog with the app catalog merged over it, as Flask-Babel does."""
    return check_catalog.merged_translations([check_catalog.FAB_PO, APP_PO])


def _override_paths() -> list[Path]:
    """Every template the app overrides under appbuilder/."""
    return sorted(OVERRIDES_DIR.rglob("*.html"))


def _message_dict(catalog) -> dict[str, str | tuple[str, ...]]:
    """Msgid -> msgstr of a catalog, header excluded."""
    return {message.id: message.string for message in catalog if message.id}


def test_every_fab_template_msgid_has_zh_translation() -> None:
    """Msgids of FAB's templates and of the app's overrides are all translated after merging."""
    msgids = check_catalog.fab_msgids(python=False)
    msgids += check_catalog.extract_msgids(check_catalog.APP_DIR, python=False)
    assert len(msgids) > 40
    assert check_catalog.untranslated(APP_PO, msgids, [check_catalog.FAB_PO]) == []


def test_every_fab_python_msgid_has_zh_translation() -> None:
    """Filter names, security views and flash messages from FAB's Python code are translated."""
    msgids = check_catalog.fab_msgids(python=True)
    assert check_catalog.untranslated(APP_PO, msgids, [check_catalog.FAB_PO]) == []


@pytest.mark.parametrize(
    ("msgid", "expected"),
    [
        ("Are you sure you want to delete this item?", "确定要删除这条记录吗？"),
        ("Database Error", "数据库错误"),
        ("Starts with", "开头是"),
        ("Not In", "不属于"),
        ("Record Count", "记录数"),
        ("Logout", "退出"),
        ("List Groups", "用户组列表"),
        ("OK", "确定"),
        ("Cancel", "取消"),
        ("No row selected", "未选择任何记录"),
    ],
)
def test_merged_catalog_gives_app_wording(msgid: str, expected: str) -> None:
    """The app catalog fills FAB's gaps and overrides its wrong wording."""
    assert _merged()[msgid] == expected


def test_app_catalog_has_no_english_or_placeholder_mismatch() -> None:
    """No app entry is left as English, and python-format placeholders survive translation."""
    with open(APP_PO, "rb") as handle:
        catalog = read_po(handle)
    bad = []
    for message in catalog:
        if not message.id or not message.string:
            continue  # untranslated app entries are the lead's check_catalog test's business
        placeholders = sorted(re.findall(r"%\(\w+\)[sd]", message.id))
        if not CJK.search(message.string) or sorted(
            re.findall(r"%\(\w+\)[sd]", message.string)
        ) != placeholders:
            bad.append(message.id)
    assert bad == []


def test_mo_is_in_sync_with_po() -> None:
    """Compiling the .po in memory gives the same messages as the committed .mo."""
    with open(APP_PO, "rb") as handle:
        po_catalog = read_po(handle)
    compiled = BytesIO()
    write_mo(compiled, po_catalog)
    compiled.seek(0)
    with open(APP_MO, "rb") as handle:
        on_disk = read_mo(handle)
    assert _message_dict(read_mo(compiled)) == _message_dict(on_disk)


@pytest.mark.parametrize("path", _override_paths(), ids=lambda p: p.name)
def test_override_shadows_a_fab_template_and_compiles(path: Path) -> None:
    """Each override has the same relative path as a FAB template and is valid Jinja."""
    relative = path.relative_to(OVERRIDES_DIR)
    assert (FAB_TEMPLATES_DIR / relative).is_file()
    env = jinja2.Environment(extensions=["jinja2.ext.i18n"])
    env.parse(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("relative", "english"),
    [
        ("general/confirm.html", ">Cancel<"),
        ("general/confirm.html", ">OK<"),
        ("general/alert.html", ">OK<"),
        ("general/security/register_mail.html", "Follow this link to activate</a>"),
    ],
)
def test_override_wraps_hard_coded_english(relative: str, english: str) -> None:
    """The text FAB hard-codes is no longer bare English in the app's override."""
    assert english in (FAB_TEMPLATES_DIR / relative).read_text(encoding="utf-8")
    assert english not in (OVERRIDES_DIR / relative).read_text(encoding="utf-8")


def test_rendered_pages_load_no_asset_from_the_internet() -> None:
    """FAB's page skeleton and the app's overrides reference only local assets."""
    layout = [FAB_TEMPLATES_DIR / name for name in ("base.html", "baselayout.html", "navbar.html")]
    offenders = [
        str(path) for path in layout + _override_paths()
        if EXTERNAL_URL.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("po_text", "expected"),
    [
        ('msgid "Save"\nmsgstr "保存"\n', []),
        ('msgid "Save"\nmsgstr ""\n', ["Save"]),
        ('#, fuzzy\nmsgid "Save"\nmsgstr "保存"\n', ["Save"]),
        ('msgid "Save"\nmsgstr "Save"\n', ["Save"]),
        ('msgid "Other"\nmsgstr "其他"\n', ["Save"]),
    ],
)
def test_untranslated_flags_missing_empty_fuzzy_and_english(
    tmp_path: Path, po_text: str, expected: list[str]
) -> None:
    """check_catalog.untranslated reports every msgid without a usable translation."""
    po_path = tmp_path / "messages.po"
    po_path.write_text(po_text, encoding="utf-8")
    assert check_catalog.untranslated(po_path, ["Save", "Save"]) == expected


def test_app_catalog_overrides_fallback(tmp_path: Path) -> None:
    """A later catalog fills an empty msgstr of an earlier one, as Flask-Babel merging does."""
    fab_po = tmp_path / "fab.po"
    fab_po.write_text('msgid "Delete"\nmsgstr ""\n', encoding="utf-8")
    app_po = tmp_path / "app.po"
    app_po.write_text('msgid "Delete"\nmsgstr "删除"\n', encoding="utf-8")
    assert check_catalog.untranslated(fab_po, ["Delete"]) == ["Delete"]
    assert check_catalog.untranslated(app_po, ["Delete"], [fab_po]) == []


def test_fab_package_is_located_without_importing_flask() -> None:
    """The helper finds FAB's catalog through importlib, so these tests need no Flask app."""
    spec = importlib.util.find_spec("flask_appbuilder")
    assert spec is not None and check_catalog.FAB_PO.is_file()
