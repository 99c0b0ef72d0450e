"""Settings screens: material types, each application type's checklist, and eligibility rules (policy as data)."""
from __future__ import annotations

from flask_appbuilder import expose
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, DatePickerWidget, Select2ManyWidget, Select2Widget
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import select
from wtforms import BooleanField, DateField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..domain import codes
from ..domain.eligibility import CONDITIONS, Rule, validate_rule
from ..domain.errors import DomainError, Message
from ..domain.workflow_table import TYPES
from ..extensions import db
from ..i18n import render
from ..models import ChecklistItem, EligibilityRule, MaterialType
from ..security.roles import resource_permissions
from . import formatters as f
from .base import READ_WRITE_PERMISSIONS, HukouInterface, HukouModelView

# Removing a checklist line or a rule is part of maintaining them (the officer has write, not delete).
WRITE_DELETES = {**READ_WRITE_PERMISSIONS, "delete": "write"}


class CommaSelectMultipleField(SelectMultipleField):
    """A multi-select stored as a comma-separated string column (EligibilityRule.app_types)."""

    def process_data(self, value) -> None:
        """'a,b' from the model → ['a', 'b']."""
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        super().process_data(value)

    def populate_obj(self, obj, name) -> None:
        """['a', 'b'] → 'a,b' on the model."""
        setattr(obj, name, ",".join(self.data or []))


class PostOnlyDelete:
    """FAB's delete also answers GET; settings rows are deleted by POST only (CSRF-checked)."""

    @expose("/delete/<pk>", methods=["POST"])
    @has_access
    def delete(self, pk):
        """FAB's delete, POST only."""
        return super().delete(pk)


# --- material types and checklists ------------------------------------------------------------------------

class ChecklistItemView(PostOnlyDelete, HukouModelView):
    """Which material types each application type requires (or accepts)."""

    datamodel = HukouInterface(ChecklistItem)
    class_permission_name = "MaterialType"
    base_permissions = resource_permissions("MaterialType")
    method_permission_name = WRITE_DELETES
    list_title = _l("Checklist items")
    show_title = _l("Checklist item")
    add_title = _l("Add checklist item")
    edit_title = _l("Edit checklist item")
    label_columns = {"app_type": _l("Application type"), "material_type": _l("Material type"),
                     "required": _l("Required"), "note": _l("Note")}
    list_columns = ["app_type", "material_type", "required", "note"]
    show_columns = list_columns
    add_columns = list_columns
    edit_columns = list_columns
    order_columns = ["app_type", "required"]
    search_columns = ["app_type", "material_type", "required"]
    base_order = ("app_type", "asc")
    formatters_columns = {"app_type": f.fmt_label(TYPES)}
    add_form_extra_fields = edit_form_extra_fields = {
        "app_type": SelectField(_l("Application type"), choices=[(k, _l(v)) for k, v in TYPES.items()],
                                widget=Select2Widget(), validators=[DataRequired()]),
        "note": StringField(_l("Note"), validators=[Optional(), Length(max=200)], widget=BS3TextFieldWidget()),
    }

    def _unique(self, item: ChecklistItem) -> None:
        """One line per (application type, material type), with a message naming both."""
        clash = db.session.scalar(select(ChecklistItem.id).where(
            ChecklistItem.app_type == item.app_type, ChecklistItem.material_type_id == item.material_type.id,
            ChecklistItem.id != (item.id or 0)))
        if clash is not None:
            raise ValueError(gettext("%(material)s is already on the checklist of %(type)s",
                                     material=item.material_type.name, type=gettext(TYPES[item.app_type])))

    def pre_add(self, item: ChecklistItem) -> None:
        """Refuse a duplicate line."""
        self._unique(item)

    def pre_update(self, item: ChecklistItem) -> None:
        """Refuse a duplicate line."""
        self._unique(item)


class MaterialTypeView(HukouModelView):
    """Kinds of documents (居民身份证, 劳动合同 …); their checklist lines are shown alongside."""

    datamodel = HukouInterface(MaterialType)
    class_permission_name = "MaterialType"
    base_permissions = resource_permissions("MaterialType")
    list_title = _l("Material types")
    show_title = _l("Material type")
    add_title = _l("Add material type")
    edit_title = _l("Edit material type")
    label_columns = {"code": _l("Code"), "name": _l("Name")}
    # The list names each type; its code (id_card, report_card) is for the Admin's forms and the API.
    list_columns = ["name"]
    show_columns = add_columns = edit_columns = ["name", "code"]
    order_columns = ["name"]
    search_columns = ["name", "code"]
    base_order = ("id", "asc")
    related_views = [ChecklistItemView]
    validators_columns = {"code": [DataRequired(), Length(max=40)], "name": [DataRequired(), Length(max=100)]}


# --- eligibility rules ------------------------------------------------------------------------------------

def _form_rule(form) -> Rule:
    """A domain Rule from the (partly validated) form data."""
    def value(name):
        field = getattr(form, name, None)
        return field.data if field is not None else None
    return Rule(id=None, city=value("city") or "", pathway=value("pathway") or "",
                condition=value("condition") or "", threshold=(value("threshold") or "").strip(),
                source=value("source") or "", valid_from=value("valid_from"), valid_to=value("valid_to"),
                app_types=frozenset(value("app_types") or ()), name=value("name") or "")


def _with_condition_label(msg: Message) -> Message:
    """Messages name the condition by its label, not its code."""
    cond = msg.params.get("condition")
    if cond in CONDITIONS:
        return Message(msg.code, msg.msgid, {**msg.params, "condition": CONDITIONS[cond]})
    return msg


class RuleCheck:
    """Field validator: app.domain.eligibility.validate_rule on the whole form, errors of this field only."""

    def __call__(self, form, field) -> None:
        """Raise the Chinese message(s) that name this field."""
        if field.name == "threshold" and getattr(form, "condition", None) is not None \
                and form.condition.data == "education_gte" and field.data:
            field.data = codes.lookup(codes.EDUCATION, field.data) or field.data.strip()
        try:
            validate_rule(_form_rule(form))
        except DomainError as err:
            mine = [render(_with_condition_label(m)) for m in err.messages if m.params.get("field") == field.name]
            if mine:
                raise ValidationError("；".join(mine)) from None


def _rule_fields() -> dict:
    """Form fields: condition select, application-type multi-select, validated threshold and dates."""
    return {
        "condition": SelectField(_l("Condition"), choices=[(k, _l(v)) for k, v in CONDITIONS.items()],
                                 widget=Select2Widget(), validators=[DataRequired(), RuleCheck()]),
        "app_types": CommaSelectMultipleField(_l("Application types"),
                                              choices=[(k, _l(v)) for k, v in TYPES.items()],
                                              widget=Select2ManyWidget(), validators=[DataRequired()]),
        "threshold": StringField(_l("Threshold"), widget=BS3TextFieldWidget(),
                                 validators=[DataRequired(), Length(max=40), RuleCheck()]),
        "valid_from": DateField(_l("Valid from"), validators=[Optional()], widget=DatePickerWidget()),
        "valid_to": DateField(_l("Valid to"), validators=[Optional(), RuleCheck()], widget=DatePickerWidget()),
        "is_example": BooleanField(_l("Example (not verified policy)")),
        # NOT NULL with default '': FAB would make them required, but empty means "any".
        "city": StringField(_l("City"), widget=BS3TextFieldWidget(), validators=[Optional(), Length(max=50)]),
        "pathway": StringField(_l("Pathway"), widget=BS3TextFieldWidget(),
                               validators=[Optional(), Length(max=50)]),
        "source": StringField(_l("Source"), widget=BS3TextFieldWidget(), validators=[Optional(), Length(max=300)]),
    }


def fmt_types(value) -> str:
    """'move_in,move_out' → their translated labels."""
    return "、".join(gettext(TYPES.get(t.strip(), t.strip())) for t in (value or "").split(",") if t.strip())


def fmt_threshold(value) -> str:
    """A required material's code shown as the material's name (报到证); numbers and education codes as typed."""
    name = db.session.scalar(select(MaterialType.name).where(MaterialType.code == value)) if value else None
    return name or (value or "")


def fmt_example(value) -> str:
    """Example rules are visibly marked."""
    return gettext("Example") if value else ""


class EligibilityRuleView(PostOnlyDelete, HukouModelView):
    """Eligibility rules: the officer maintains them; pre-review evaluates them on the applicant's data."""

    datamodel = HukouInterface(EligibilityRule)
    class_permission_name = "EligibilityRule"
    base_permissions = resource_permissions("EligibilityRule")
    method_permission_name = WRITE_DELETES
    list_title = _l("Eligibility rules")
    show_title = _l("Eligibility rule")
    add_title = _l("Add eligibility rule")
    edit_title = _l("Edit eligibility rule")
    label_columns = {"name": _l("Name"), "city": _l("City"), "pathway": _l("Pathway"),
                     "app_types": _l("Application types"), "condition": _l("Condition"),
                     "threshold": _l("Threshold"), "source": _l("Source"), "valid_from": _l("Valid from"),
                     "valid_to": _l("Valid to"), "is_example": _l("Example (not verified policy)")}
    description_columns = {
        "city": _l("Leave empty to apply in every city"),
        "pathway": _l("Leave empty to apply to every pathway"),
        "threshold": _l("A whole number for months, years or age; an education code or name (e.g. 21 or 本科); "
                        "a material-type code for a required material"),
    }
    list_columns = ["is_example", "name", "city", "pathway", "app_types", "condition", "threshold",
                    "valid_from", "valid_to"]
    show_columns = ["name", "is_example", "city", "pathway", "app_types", "condition", "threshold", "source",
                    "valid_from", "valid_to"]
    add_columns = edit_columns = ["name", "city", "pathway", "app_types", "condition", "threshold", "source",
                                  "valid_from", "valid_to", "is_example"]
    order_columns = ["name", "city", "pathway", "condition", "valid_from", "valid_to"]
    search_columns = ["name", "city", "pathway", "condition", "is_example"]
    base_order = ("id", "asc")
    add_form_extra_fields = _rule_fields()
    edit_form_extra_fields = _rule_fields()
    formatters_columns = {"condition": f.fmt_label(CONDITIONS), "app_types": fmt_types, "threshold": fmt_threshold,
                          "is_example": fmt_example, "valid_from": f.fmt_date, "valid_to": f.fmt_date}

    def _clean(self, item: EligibilityRule) -> None:
        """Empty city/pathway/source are stored as '' (the column is NOT NULL)."""
        item.city, item.pathway = (item.city or "").strip(), (item.pathway or "").strip()
        item.source, item.threshold = (item.source or "").strip(), (item.threshold or "").strip()

    def pre_add(self, item: EligibilityRule) -> None:
        """Normalise text columns."""
        self._clean(item)

    def pre_update(self, item: EligibilityRule) -> None:
        """Normalise text columns."""
        self._clean(item)


def register(appbuilder) -> None:
    """Material types, checklists and eligibility rules under 设置 (Settings)."""
    from .menu import SETTINGS

    appbuilder.add_view(MaterialTypeView, "MaterialTypes", label=_l("Material types"), icon="fa-file-text-o",
                        **SETTINGS)
    # Same menu item name as the material types: both share the MaterialType resource and its menu permission.
    appbuilder.add_view(ChecklistItemView, "MaterialTypes", label=_l("Checklist items"), icon="fa-list-ol",
                        **SETTINGS)
    appbuilder.add_view(EligibilityRuleView, "EligibilityRules", label=_l("Eligibility rules"), icon="fa-gavel",
                        **SETTINGS)
