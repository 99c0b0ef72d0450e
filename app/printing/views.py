"""The print screens: 审批表, 户籍证明, 补正告知书 of an application, and the Admin's unit profile form."""
from __future__ import annotations

from flask import current_app, g, redirect, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import Length

from .. import clock
from ..dao import get_or_refuse, not_found
from ..domain.workflow_table import ACTIONS, STATUSES, TYPES
from ..extensions import db
from ..models import Application
from ..models.unit import UnitProfile
from ..security.actor import current_actor, request_unit
from ..security.roles import resource_permissions
from ..views.base import HukouModelView
from ..views.menu import SETTINGS
from ..web.datamodel import HukouInterface
from . import certificates, forms
from .unit import address_mismatch, get_profile

# Roles whose home page warns about the unit's address (they deal with the police station or decide).
WARNED_ROLES = frozenset({"Admin", "HukouOfficer", "Leader"})
PROFILE_LABELS = {
    "unit_name": _l("Unit name"), "collective_name": _l("Collective household name"),
    "household_no": _l("Household number"), "registered_address": _l("Registered address"),
    "office_address": _l("Actual office address"), "police_station": _l("Police station in charge"),
    "contact_name": _l("Contact person"), "contact_phone": _l("Contact phone"),
}
PROFILE_SIZES = {"unit_name": 100, "collective_name": 100, "household_no": 40, "registered_address": 200,
                 "office_address": 200, "police_station": 100, "contact_name": 50, "contact_phone": 30}


def _load(pk: int) -> Application:
    """The application if this user may see it, else the audited 404."""
    return get_or_refuse(Application, pk, current_actor())


class PrintView(BaseView):
    """/print/application/<id>/…: the official forms of one visible application, A4, print CSS."""

    route_base = "/print"
    default_view = "approval"
    class_permission_name = "Application"
    base_permissions = resource_permissions("Application")
    method_permission_name = {"approval": "read", "certificate": "read", "notice": "read",
                              "issue_certificate": "transition"}

    def _render(self, template: str, application: Application, **extra):
        """A print template with the unit, the applicant (masked as policy says) and the labels."""
        actor = current_actor()
        unmasked = forms.may_unmask(actor)
        return self.render_template(
            template, application=application, unit=get_profile(db.session), unmasked=unmasked,
            person=forms.person_of(application.resident, unmasked), today=clock.today(), types=TYPES,
            statuses=STATUSES, actions=ACTIONS, **extra)

    @expose("/application/<int:pk>/approval")
    @has_access
    def approval(self, pk: int):
        """审批表: the application, the applicant, every step with person, date and comment; signature boxes."""
        _load(pk)
        with request_unit() as uow:
            application = _load(pk)
            unmasked = forms.may_unmask(uow.actor)
            steps = forms.steps_of(uow.session, application, unmasked)
            forms.print_audit(uow, application, "approval", unmasked)
            signers = {box: forms.signer_of(steps, acts) for box, acts in (
                ("review", ("pass_review",)), ("dept", ("dept_approve", "dept_reject")),
                ("leader", ("leader_approve", "leader_reject")))}
            return self._render("print/approval.html", application, steps=steps, signers=signers)

    @expose("/application/<int:pk>/certificate")
    @has_access
    def certificate(self, pk: int):
        """户籍证明 of a completed certificate application (printing counted and audited); 404 if none issued."""
        _load(pk)
        with request_unit() as uow:
            application = _load(pk)
            cert = certificates.certificate_of(uow.session, application.id)
            if cert is None and _may_issue(uow.actor, application):
                return self._render("print/certificate_missing.html", application)
            if cert is None:
                raise not_found(Application, pk)
            certificates.record_print(uow, cert, forms.may_unmask(uow.actor))
            return self._render("print/certificate.html", application, cert=cert)

    @expose("/application/<int:pk>/certificate/issue", methods=["POST"])
    @has_access
    def issue_certificate(self, pk: int):
        """Number the certificate of a certificate application completed before numbering existed (officer)."""
        application = _load(pk)
        if not _may_issue(current_actor(), application):
            raise not_found(Application, pk)
        with request_unit() as uow:
            certificates.issue(uow.session, _load(pk), uow.actor.user_id)
        return redirect(url_for("PrintView.certificate", pk=pk))

    @expose("/application/<int:pk>/notice")
    @has_access
    def notice(self, pk: int):
        """补正告知书 (一次性告知): every required material the applicant still has to bring, with reasons."""
        application = _load(pk)
        items = forms.missing_items(db.session, application, _to_bring(application))
        steps = forms.steps_of(db.session, application, forms.may_unmask(current_actor()))
        request_step = forms.signer_of(steps, ("request_materials", "police_reject"))
        return self._render("print/notice.html", application, items=items, request_step=request_step,
                            officer=forms.person_name(g.user))


def _may_issue(actor, application: Application) -> bool:
    """An officer may number a completed certificate application's certificate (issued on completion since
    issue 9; older ones get theirs here)."""
    from ..services.materials import is_officer

    return (application.type == "certificate" and application.status in forms.CERTIFICATE_STATUSES
            and is_officer(actor))


def _to_bring(application: Application) -> list[str]:
    """Required items the applicant must (re)bring: not uploaded or returned (helper B's state when present)."""
    from ..services import materials

    pick = getattr(materials, "not_uploaded", None) or materials.missing_materials
    return list(pick(application))


class UnitProfileView(HukouModelView):
    """Settings → 单位信息: the one row the Admin edits; every print form reads it."""

    datamodel = HukouInterface(UnitProfile)
    class_permission_name = "UnitProfile"
    base_permissions = resource_permissions("UnitProfile")
    list_title = show_title = _l("Unit profile")
    edit_title = _l("Edit unit profile")
    label_columns = PROFILE_LABELS
    list_columns = ["unit_name", "collective_name", "household_no", "registered_address", "office_address"]
    show_columns = edit_columns = list(PROFILE_LABELS)
    edit_form_extra_fields = {name: StringField(label, widget=BS3TextFieldWidget(),
                                                          validators=[Length(max=PROFILE_SIZES[name])])
                              for name, label in PROFILE_LABELS.items()}

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        """There is one profile: 「新增」 opens it for editing instead."""
        row = db.session.query(UnitProfile).order_by(UnitProfile.id).first()
        if row is None:
            raise not_found(UnitProfile, 1)
        return redirect(url_for("UnitProfileView.edit", pk=row.id))

    def pre_update(self, item: UnitProfile) -> None:
        """Keep the texts trimmed (a trailing space must not make two addresses differ)."""
        for name in PROFILE_LABELS:
            value = getattr(item, name)
            setattr(item, name, "" if value is None else str(value).strip())


# --- template helpers -------------------------------------------------------------------------------------

def unit_address_warning() -> UnitProfile | None:
    """The unit profile when the home page must warn about its addresses (and this user is one to warn)."""
    actor = current_actor()
    if not actor.roles & WARNED_ROLES:
        return None
    profile = get_profile(db.session)
    return profile if address_mismatch(profile) else None


def print_links(application: Application) -> list[dict]:
    """The print forms (and handbook chapter) relevant to this application's type and status and to this user."""
    actor, links = current_actor(), []
    if application is None or getattr(application, "id", None) is None or not actor.can("read", "Application"):
        return links
    if application.status != "draft":
        links.append({"kind": "approval", "label": _l("Approval form"), "icon": "fa-file-text-o",
                      "url": url_for("PrintView.approval", pk=application.id)})
    if application.type == "certificate" and application.status in forms.CERTIFICATE_STATUSES and (
            _may_issue(actor, application) or certificates.certificate_of(db.session, application.id) is not None):
        links.append({"kind": "certificate", "label": _l("Household registration certificate"),
                      "icon": "fa-certificate",
                      "url": url_for("PrintView.certificate", pk=application.id)})
    if application.status in forms.NOTICE_STATUSES and _to_bring(application):
        links.append({"kind": "notice", "label": _l("Notice of missing materials"), "icon": "fa-list-ol",
                      "url": url_for("PrintView.notice", pk=application.id)})
    loan = forms.loan_of(db.session, application) if application.type in forms.LOAN_TYPES else None
    if loan is not None and actor.can("read", "PageLoan"):
        links.append({"kind": "loan", "label": _l("Page loan form"), "icon": "fa-book",
                      "url": url_for("PageLoanView.print_form", pk=loan.id)})
    if actor.can("read", "Handbook"):
        links.append({"kind": "handbook", "label": _l("Office handbook"), "icon": "fa-question-circle",
                      "url": url_for("HandbookView.chapter", app_type=application.type)})
    return links


def register(appbuilder) -> None:
    """The print screens (no menu: reached from the application page) and Settings → 单位信息."""
    appbuilder.add_view_no_menu(PrintView)
    appbuilder.add_view(UnitProfileView, "UnitProfiles", label=_l("Unit profile"), icon="fa-building", **SETTINGS)
    current_app.jinja_env.globals.update(
        hk_unit=lambda: get_profile(db.session), hk_unit_warning=unit_address_warning, hk_print_links=print_links)
