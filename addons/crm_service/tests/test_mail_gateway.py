from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import CrmServiceCommon

EMAIL = """Return-Path: <{email_from}>
To: complaints@svc.example.com
From: {sender}
Subject: {subject}
Date: Mon, 02 Mar 2026 10:00:00 +0000
Message-ID: {message_id}
{extra}MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit

{body}
"""


@tagged("post_install", "-at_install")
class TestMailGateway(CrmServiceCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alias_domain = cls.env["mail.alias.domain"].create({
            "name": "svc.example.com", "company_ids": [(4, cls.company.id)],
        })
        cls.alias = cls.env.ref("crm_service.mail_alias_crm_complaint")
        cls.alias.alias_domain_id = cls.alias_domain
        cls.company.alias_domain_id = cls.alias_domain

    def _process(self, sender, email_from, subject, body, message_id, extra=""):
        raw = EMAIL.format(
            sender=sender, email_from=email_from, subject=subject, body=body,
            message_id=message_id, extra=extra,
        )
        return self.env["mail.thread"].message_process(None, raw.encode())

    def test_unknown_sender_creates_contact_and_complaint(self):
        Partner = self.env["res.partner"]
        self.assertFalse(Partner.search([("email", "=", "zhao.lei@newmail.example.com")]))
        complaint_id = self._process(
            "Zhao Lei <zhao.lei@newmail.example.com>", "zhao.lei@newmail.example.com",
            "Broken kettle lid", "The lid of my kettle broke after two days.",
            "<kettle-1@newmail.example.com>",
        )
        complaint = self.env["crm.complaint"].browse(complaint_id)
        self.assertEqual(complaint.name, "Broken kettle lid")
        self.assertEqual(complaint.channel, "email")
        self.assertIn("lid of my kettle", complaint.description)
        partner = Partner.search([("email", "=", "zhao.lei@newmail.example.com")])
        self.assertEqual(len(partner), 1, "a new contact for the unknown sender")
        self.assertEqual(complaint.partner_id, partner)
        self.assertTrue(complaint.reference.startswith("CMP/"))
        self.assertTrue(complaint.sla_policy_id, "the default policy applies")
        self.assertIn(partner, complaint.message_partner_ids)

        # the customer replies to the thread: no new complaint
        count = self.env["crm.complaint"].search_count([])
        reply_id = self._process(
            "Zhao Lei <zhao.lei@newmail.example.com>", "zhao.lei@newmail.example.com",
            "Re: Broken kettle lid", "Here is the order number: SO123.",
            "<kettle-2@newmail.example.com>",
            extra="In-Reply-To: <kettle-1@newmail.example.com>\n"
                  "References: <kettle-1@newmail.example.com>\n",
        )
        self.assertEqual(reply_id, complaint.id)
        self.assertEqual(self.env["crm.complaint"].search_count([]), count)
        self.assertTrue(complaint.message_ids.filtered(lambda m: "SO123" in (m.body or "")))

    def test_customer_reply_resumes_waiting_complaint(self):
        complaint_id = self._process(
            "Wang Fang <wang.fang@huaxia.example.com>", "wang.fang@huaxia.example.com",
            "Oven door does not close", "The door of the oven stays ajar.",
            "<oven-1@huaxia.example.com>",
        )
        complaint = self.env["crm.complaint"].browse(complaint_id)
        complaint.stage_id = self.stage_waiting
        self.assertTrue(complaint.paused_since)
        self._process(
            "Wang Fang <wang.fang@huaxia.example.com>", "wang.fang@huaxia.example.com",
            "Re: Oven door does not close", "Here is the photo you asked for.",
            "<oven-2@huaxia.example.com>",
            extra="In-Reply-To: <oven-1@huaxia.example.com>\n",
        )
        self.assertEqual(complaint.stage_id, self.stage_progress, "the customer answered")
        self.assertFalse(complaint.paused_since, "the clock runs again")
        self.assertFalse(complaint.first_response_date, "the customer's own mail is no response")

    def test_team_alias(self):
        self.team.complaint_alias_name = "north-service"
        self.assertEqual(self.team.complaint_alias_id.alias_domain_id, self.alias_domain)
        raw = EMAIL.format(
            sender="Wang Fang <wang.fang@huaxia.example.com>",
            email_from="wang.fang@huaxia.example.com", subject="Scratched oven",
            body="The oven door is scratched.", message_id="<oven-scratch@huaxia.example.com>",
            extra="",
        ).replace("To: complaints@", "To: north-service@")
        complaint = self.env["crm.complaint"].browse(
            self.env["mail.thread"].message_process(None, raw.encode())
        )
        self.assertEqual(complaint.name, "Scratched oven")
        self.assertEqual(complaint.team_id, self.team, "the team of the alias")
        self.assertEqual(complaint.sla_policy_id, self.policy)
        with self.assertRaises(AccessError):
            self.team.with_user(self.agent).complaint_alias_name = "stolen"

    def test_known_sender_linked(self):
        complaint_id = self._process(
            "Wang Fang <wang.fang@huaxia.example.com>", "wang.fang@huaxia.example.com",
            "", "No subject, just a problem.", "<nosubject@huaxia.example.com>",
        )
        complaint = self.env["crm.complaint"].browse(complaint_id)
        self.assertEqual(complaint.partner_id, self.contact)
        self.assertEqual(complaint.commercial_partner_id, self.customer)
        self.assertEqual(complaint.name, "Complaint by email", "never an empty subject")

    def test_resume_stage_is_a_stage_setting(self):
        checking = self.env["crm.complaint.stage"].create({"name": "Checking", "sequence": 15})
        on_hold = self.env["crm.complaint.stage"].create({
            "name": "On hold", "sequence": 25, "is_paused": True,
            "resume_stage_id": checking.id,
        })
        parked = self.env["crm.complaint.stage"].create({
            "name": "Parked", "sequence": 26, "is_paused": True,
        })
        complaint_id = self._process(
            "Wang Fang <wang.fang@huaxia.example.com>", "wang.fang@huaxia.example.com",
            "Hood lamp flickers", "The lamp flickers.", "<hood-1@huaxia.example.com>",
        )
        complaint = self.env["crm.complaint"].browse(complaint_id)
        for stage, expected, reference in ((on_hold, checking, "<hood-2@huaxia.example.com>"),
                                           (parked, parked, "<hood-3@huaxia.example.com>")):
            complaint.stage_id = stage
            self._process(
                "Wang Fang <wang.fang@huaxia.example.com>", "wang.fang@huaxia.example.com",
                "Re: Hood lamp flickers", "Photo attached.", reference,
                extra="In-Reply-To: <hood-1@huaxia.example.com>\n",
            )
            self.assertEqual(complaint.stage_id, expected)
        # renaming or archiving the shipped "In Progress" stage no longer matters
        self.assertEqual(self.stage_waiting.resume_stage_id, self.stage_progress)
        with self.assertRaises(ValidationError):
            on_hold.resume_stage_id = parked
