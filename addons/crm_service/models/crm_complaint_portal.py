import re

import pytz
from markupsafe import Markup

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import format_date

# characters no text typed by a person has a use for (tab and line breaks are fine);
# PostgreSQL refuses NUL in text
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control_characters(*values):
    return any(CONTROL_CHARACTERS.search(value or "") for value in values)


class CrmComplaint(models.Model):
    """What the customer portal needs of a complaint: its page in the backend,
    the conversation of its portal chatter, and a solved complaint that the
    customer's answer reopens."""

    _inherit = "crm.complaint"

    @api.model
    def _portal_customer_domain(self, partner):
        """The complaints of which ``partner`` is the customer: those of its
        commercial partner, as the portal record rule has it."""
        return [("commercial_partner_id", "=", partner.commercial_partner_id.id)]

    def _portal_is_customer(self, partner):
        self.ensure_one()
        return bool(self.commercial_partner_id) and (
            self.commercial_partner_id == partner.commercial_partner_id
        )

    def _get_portal_return_action(self):
        """The action showing complaints, for staff leaving the portal page."""
        self.ensure_one()
        return self.env.ref("crm_service.crm_complaint_action")

    # ------------------------------------------------------------------ mail

    @api.model
    def _get_thread_with_access(self, thread_id, mode="read", **kwargs):
        # a token never matches a complaint that has none yet (the host would
        # compare it with False and fail with a TypeError instead of refusing)
        if kwargs.get("token") and not self.browse(thread_id).sudo().exists().access_token:
            kwargs = {**kwargs, "token": None}
        return super()._get_thread_with_access(thread_id, mode=mode, **kwargs)

    @api.returns("mail.message", lambda value: value.id)
    def message_post(self, **kwargs):
        # what a person writes (the portal chatter, the backend chatter) is refused
        # whole rather than saved altered; emails keep the gateway's own cleaning
        if kwargs.get("message_type") == "comment" and has_control_characters(
            kwargs.get("body"), kwargs.get("subject"),
        ):
            raise UserError(self.env._(
                "Your message contains control characters that cannot be saved; please "
                "type it again."
            ))
        return super().message_post(**kwargs)

    def _message_post_after_hook(self, message, msg_values):
        """A customer who answers a solved complaint reopens it."""
        stage_before = self.stage_id
        result = super()._message_post_after_hook(message, msg_values)
        if (
            stage_before.is_closed
            and message.message_type in ("comment", "email")
            and message.subtype_id and not message.subtype_id.internal
            and self._is_customer_side(message.author_id)
        ):
            if self.stage_id.is_closed:
                reopen = self._reopen_stage(stage_before)
                if reopen:
                    # the customer cannot write the complaint: reopening is the
                    # system's answer to their message, as resuming a paused one
                    self.sudo().stage_id = reopen
            if not self.stage_id.is_closed:
                self._post_reopened_note(message.author_id)
        return result

    @api.model
    def _is_customer_side(self, partner):
        """A person outside the company: a partner without an internal user."""
        return bool(partner) and not partner.with_context(active_test=False).user_ids.filtered(
            lambda user: not user.share
        )

    def _reopen_stage(self, closed_stage):
        """Where a solved complaint goes when its customer answers: the stage set
        on the closing stage for a customer's answer, or else the first stage
        that neither closes nor pauses."""
        Stage = self.env["crm.complaint.stage"].sudo()
        resume = closed_stage.sudo().resume_stage_id
        if resume.active and not resume.is_closed and not resume.is_paused:
            return resume
        return Stage.search([("is_closed", "=", False), ("is_paused", "=", False)], limit=1)

    def _crm_acknowledge_receipt(self):
        """Tell the customer their complaint was received (mailed, and on the
        portal), in their language, with the day it should be resolved by."""
        for complaint in self.sudo():
            partner = complaint.partner_id
            if not partner:
                continue
            complaint = complaint.with_context(lang=partner.lang or self.env.lang)
            text = complaint.env._(
                "Thank you, we received your complaint %(reference)s: %(subject)s.",
                reference=complaint.reference, subject=complaint.name)
            if complaint.resolve_deadline:
                # the customer's day (their time zone, else the company's)
                tz = partner.tz or complaint.company_id._crm_tz()
                day = pytz.utc.localize(complaint.resolve_deadline).astimezone(
                    pytz.timezone(tz)).date()
                text = complaint.env._(
                    "%(received)s We aim to resolve it by %(date)s and will keep you "
                    "informed.", received=text, date=format_date(complaint.env, day))
            complaint.message_post(
                body=Markup("<p>%s</p>") % text,
                author_id=complaint.company_id.partner_id.id,
                partner_ids=partner.ids,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )

    def _post_reopened_note(self, customer):
        self.ensure_one()
        lang = (
            self.user_id.partner_id.lang or self.company_id.partner_id.lang or self.env.lang
        )
        complaint = self.sudo().with_context(lang=lang)
        complaint.message_post(
            body=complaint.env._(
                "%(customer)s answered the solved complaint: it is reopened in stage "
                "%(stage)s.",
                customer=customer.display_name, stage=complaint.stage_id.name,
            ),
            author_id=self.env.ref("base.partner_root").id,
            partner_ids=self.user_id.partner_id.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
