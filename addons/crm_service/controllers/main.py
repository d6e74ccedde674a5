import re
import uuid

from psycopg2 import IntegrityError

from odoo import fields, http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request
from odoo.osv import expression
from odoo.tools import consteq, plaintext2html

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

from ..models.crm_complaint_portal import CONTROL_CHARACTERS, has_control_characters

PAGE_SIZE = 20
SUBMISSION_KEY = re.compile(r"^[0-9a-f]{32}$")


class CrmServicePortal(CustomerPortal):

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "complaint_count" in counters:
            Complaint = request.env["crm.complaint"]
            values["complaint_count"] = (
                Complaint.search_count(self._complaint_portal_domain())
                if Complaint.has_access("read") else 0
            )
        return values

    def _complaint_portal_domain(self):
        """The visitor's complaints as a customer, those of their commercial
        partner: staff whose rights reach every complaint see here only their own,
        as any customer does."""
        return request.env["crm.complaint"]._portal_customer_domain(
            request.env.user.partner_id
        )

    def _complaint_get_page(self, complaint_id, access_token=None):
        """The complaint, sudoed, if the visitor may see it as its customer, or
        holds its access token; None otherwise."""
        try:
            complaint_sudo = self._document_check_access(
                "crm.complaint", complaint_id, access_token
            )
        except (AccessError, MissingError):
            return None
        token_valid = bool(
            access_token and complaint_sudo.access_token
            and consteq(complaint_sudo.access_token, access_token)
        )
        if token_valid or complaint_sudo._portal_is_customer(request.env.user.partner_id):
            return complaint_sudo
        return None

    def _complaint_backend_url(self, complaint):
        action = complaint.sudo()._get_portal_return_action()
        return f"/odoo/action-{action.id}/{complaint.id}"

    @http.route(["/my/complaints", "/my/complaints/page/<int:page>"],
                type="http", auth="user", website=True)
    def portal_my_complaints(self, page=1, sortby=None, filterby=None, **kw):
        Complaint = request.env["crm.complaint"]
        sortings = {
            "date": {"label": request.env._("Newest"), "order": "date_received desc, id desc"},
            "reference": {"label": request.env._("Reference"), "order": "reference desc"},
            "stage": {"label": request.env._("Status"), "order": "stage_id, id desc"},
        }
        filters = {
            "all": {"label": request.env._("All"), "domain": []},
            "open": {
                "label": request.env._("Open"),
                "domain": [("stage_id.is_closed", "=", False)],
            },
            "closed": {
                "label": request.env._("Solved"),
                "domain": [("stage_id.is_closed", "=", True)],
            },
        }
        sortby = sortby if sortby in sortings else "date"
        filterby = filterby if filterby in filters else "all"
        domain = self._complaint_portal_domain() + filters[filterby]["domain"]
        if not Complaint.has_access("read"):
            domain = expression.FALSE_DOMAIN
        total = Complaint.search_count(domain)
        pager = portal_pager(
            url="/my/complaints", total=total, page=page, step=PAGE_SIZE,
            url_args={"sortby": sortby, "filterby": filterby},
        )
        complaints = Complaint.search(
            domain, order=sortings[sortby]["order"], limit=PAGE_SIZE, offset=pager["offset"],
        )
        request.session["my_complaints_history"] = complaints.ids[:100]
        values = self._prepare_portal_layout_values()
        values.update({
            "complaints": complaints,
            "page_name": "complaint",
            "pager": pager,
            "default_url": "/my/complaints",
            "searchbar_sortings": sortings,
            "sortby": sortby,
            "searchbar_filters": filters,
            "filterby": filterby,
            # what is past its expected resolution shows as delayed
            "now": fields.Datetime.now(),
        })
        return request.render("crm_service.portal_my_complaints", values)

    @http.route("/my/complaints/<int:complaint_id>", type="http", auth="public", website=True)
    def portal_my_complaint(self, complaint_id, access_token=None, **kw):
        complaint_sudo = self._complaint_get_page(complaint_id, access_token)
        if complaint_sudo is None:
            complaint = request.env["crm.complaint"].browse(complaint_id).exists()
            if complaint and request.env.user._is_internal() and complaint.has_access("read"):
                # staff handle other customers' complaints in the backend, not here
                return request.redirect(self._complaint_backend_url(complaint))
            raise request.not_found()
        values = self._get_page_view_values(
            complaint_sudo, access_token, {}, "my_complaints_history", False, **kw
        )
        values.update({
            "complaint": complaint_sudo,
            "page_name": "complaint",
            "backend_url": self._complaint_backend_url(complaint_sudo),
            # just sent from the portal's form: say it was received
            "submitted": kw.get("submitted") == "1",
        })
        return request.render("crm_service.portal_my_complaint", values)

    @http.route("/my/complaints/new", type="http", auth="user", website=True,
                methods=["GET", "POST"])
    def portal_new_complaint(self, **post):
        partner = request.env.user.partner_id
        categories = request.env["crm.complaint.category"].sudo().search(
            [("company_id", "in", [False, partner.company_id.id or request.env.company.id])]
        )
        texts = {key: value for key, value in post.items() if isinstance(value, str)}
        values = self._prepare_portal_layout_values()
        values.update({
            "page_name": "complaint_new", "categories": categories, "error": {},
            # what was typed comes back in the form, without what cannot be shown
            "post": {key: CONTROL_CHARACTERS.sub("", value) for key, value in texts.items()},
        })
        submission = post.get("submission") or ""
        if not SUBMISSION_KEY.match(submission):
            submission = uuid.uuid4().hex
        values["submission"] = submission
        if request.httprequest.method == "POST":
            if has_control_characters(*texts.values()):
                values["error"]["invalid"] = request.env._(
                    "Your text contains control characters that cannot be saved; please "
                    "type it again."
                )
            name = (post.get("name") or "").strip()
            if not name:
                values["error"]["name"] = request.env._(
                    "Please give your complaint a subject."
                )
            category = categories.filtered(
                lambda c: str(c.id) == post.get("category_id")
            )[:1]
            if not values["error"]:
                return self._portal_create_complaint(submission, {
                    "name": name,
                    "description": plaintext2html(post.get("description") or ""),
                    "partner_id": partner.id,
                    "category_id": category.id,
                    "channel": "portal",
                    "company_id": partner.company_id.id or request.env.company.id,
                })
        return request.render("crm_service.portal_new_complaint", values)

    def _portal_create_complaint(self, submission, vals):
        """Create the complaint of a portal form once, however often it is sent.

        The form carries a key; a complaint remembers the key it came from (unique
        in the database), so that a double click, or the same form sent twice at
        once, gives one complaint.
        """
        Complaint = request.env["crm.complaint"].sudo()
        domain = [("portal_submission", "=", submission), ("partner_id", "=", vals["partner_id"])]
        complaint = Complaint.search(domain, limit=1)
        if not complaint:
            try:
                with request.env.cr.savepoint():
                    complaint = Complaint.create({**vals, "portal_submission": submission})
            except IntegrityError:
                # sent twice at once: the other request created it, in a
                # transaction this one cannot see yet
                return request.redirect("/my/complaints")
            complaint._crm_acknowledge_receipt()
        return request.redirect(f"/my/complaints/{complaint.id}?submitted=1")
