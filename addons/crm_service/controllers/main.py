import re
import uuid

from psycopg2 import IntegrityError

from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request
from odoo.tools import plaintext2html

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

PAGE_SIZE = 20
# characters no form field has a use for (tab and line breaks are fine); PostgreSQL
# refuses NUL in text
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SUBMISSION_KEY = re.compile(r"^[0-9a-f]{32}$")


def has_control_characters(*values):
    return any(CONTROL_CHARACTERS.search(value or "") for value in values)


class CrmServicePortal(CustomerPortal):

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "complaint_count" in counters:
            Complaint = request.env["crm.complaint"]
            values["complaint_count"] = (
                Complaint.search_count([]) if Complaint.has_access("read") else 0
            )
        return values

    def _complaint_get_page(self, complaint_id, access_token=None):
        """The complaint, sudoed, if the visitor may see it; None otherwise."""
        try:
            return self._document_check_access("crm.complaint", complaint_id, access_token)
        except (AccessError, MissingError):
            return None

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
        domain = filters[filterby]["domain"]
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
        })
        return request.render("crm_service.portal_my_complaints", values)

    @http.route("/my/complaints/<int:complaint_id>", type="http", auth="public", website=True)
    def portal_my_complaint(self, complaint_id, access_token=None, **kw):
        complaint_sudo = self._complaint_get_page(complaint_id, access_token)
        if complaint_sudo is None:
            return request.not_found()
        values = self._get_page_view_values(
            complaint_sudo, access_token, {}, "my_complaints_history", False, **kw
        )
        values.update({
            "complaint": complaint_sudo,
            "page_name": "complaint",
            "messages": complaint_sudo._portal_messages(),
            "error": kw.get("error"),
        })
        return request.render("crm_service.portal_my_complaint", values)

    @http.route("/my/complaints/<int:complaint_id>/reply", type="http", auth="public",
                website=True, methods=["POST"])
    def portal_my_complaint_reply(self, complaint_id, access_token=None, message="", **kw):
        complaint_sudo = self._complaint_get_page(complaint_id, access_token)
        if complaint_sudo is None:
            return request.not_found()
        url = complaint_sudo.get_portal_url()
        if has_control_characters(message):
            return request.redirect(f"{url}{'&' if '?' in url else '?'}error=invalid")
        if not message.strip():
            return request.redirect(f"{url}{'&' if '?' in url else '?'}error=empty")
        user_partner = request.env.user.partner_id
        author = (
            user_partner if not request.env.user._is_public() else complaint_sudo.partner_id
        )
        complaint_sudo.with_context(mail_create_nosubscribe=True).message_post(
            body=plaintext2html(message.strip()),
            author_id=author.id,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        return request.redirect(url)

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
        return request.redirect(f"/my/complaints/{complaint.id}")
