from datetime import datetime, timedelta

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from .common import CrmCallcenterCommon

# the timeline's queries, whatever the number of interactions: the customer's
# contacts, then per channel its search and the names it shows (outcomes, stages),
# and the e-mails' check of their documents' access
QUERIES = 14
# 09:00 UTC on 3 March 2025; 17:00 in Shanghai
T0 = datetime(2025, 3, 3, 9, 0)


class TimelineCase(CrmCallcenterCommon):
    """The customer Jade River Ltd and a contact of theirs, with a call, a live chat,
    complaints (one of a team the salesperson is not in) and e-mails, an hour
    apart."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.contact = env["res.partner"].create({
            "name": "Lin Contact", "parent_id": cls.customer.id})
        cls.salesperson = new_test_user(
            env, login="cc_timeline_sales", name="Sales Song", tz="Asia/Shanghai",
            groups="sales_team.group_sale_salesman,crm_service.group_crm_service_user",
        )
        cls.team.member_ids = [Command.link(cls.salesperson.id)]
        cls.call = cls._timeline_call(T0)
        cls.chat = cls.env["discuss.channel"].sudo().create({
            "name": "Chat with Lin", "channel_type": "livechat",
            "livechat_operator_id": cls.user_a.partner_id.id,
            "channel_member_ids": [Command.create({"partner_id": cls.user_a.partner_id.id}),
                                   Command.create({"partner_id": cls.contact.id})],
        })
        cls._set_create_date(cls.chat, T0 + timedelta(hours=1))
        Complaint = env["crm.complaint"].sudo()
        cls.complaint = Complaint.create({
            "name": "Broken <b>kettle</b>", "partner_id": cls.customer.id,
            "team_id": cls.team.id, "channel": "phone",
            "date_received": T0 + timedelta(hours=2),
        })
        cls.secret = Complaint.create({
            "name": "Desk-only complaint", "partner_id": cls.customer.id,
            "team_id": cls.other_team.id, "user_id": cls.user_c.id, "channel": "phone",
            "date_received": T0 + timedelta(hours=3),
        })
        cls.lead = env["crm.lead"].create({
            "name": "Kettles for the canteen", "partner_id": cls.customer.id,
            "user_id": cls.salesperson.id,
        })
        cls.mail_partner = cls._email(cls.customer, "Price list please", T0 + timedelta(hours=4))
        cls.mail_complaint = cls._email(cls.complaint, "Photos of the kettle",
                                        T0 + timedelta(hours=5))
        cls.mail_secret = cls._email(cls.secret, "Desk e-mail", T0 + timedelta(hours=6))
        cls.mail_lead = cls._email(cls.lead, "Quotation questions", T0 + timedelta(hours=7))
        # a note is not an e-mail
        cls.customer.message_post(body="Internal note", message_type="comment")

    @classmethod
    def _timeline_call(cls, start, partner=None):
        return cls.env["crm.call"].sudo().create({
            "direction": "inbound", "partner_id": (partner or cls.contact).id,
            "phone": "+86 10 6552 1234", "queue_id": cls.queue.id, "state": "done",
            "agent_id": cls.agent_a.id, "date_start": start,
            "date_answered": start + timedelta(seconds=5), "date_end": start + timedelta(minutes=3),
        })

    @classmethod
    def _set_create_date(cls, record, moment):
        record.flush_recordset()
        cls.env.cr.execute(SQL(
            "UPDATE %s SET create_date = %s WHERE id = %s",
            SQL.identifier(record._table), moment, record.id,
        ))
        record.invalidate_recordset(["create_date"])

    @classmethod
    def _email(cls, record, subject, date):
        return cls.env["mail.message"].sudo().create({
            "model": record._name, "res_id": record.id, "message_type": "email",
            "subject": subject, "body": f"<p>{subject}</p>", "date": date,
            "author_id": cls.customer.id,
        })


@tagged("post_install", "-at_install")
class TestTimeline(TimelineCase):

    def test_mixed_channels_newest_first(self):
        timeline = self.customer.with_context(tz="UTC", lang="en_US") \
            ._crm_interaction_timeline()
        self.assertEqual(
            [(entry["channel"], entry["res_model"], entry["res_id"]) for entry in timeline], [
                ("email", "crm.lead", self.lead.id),
                ("email", "crm.complaint", self.secret.id),
                ("email", "crm.complaint", self.complaint.id),
                ("email", "res.partner", self.customer.id),
                ("complaint", "crm.complaint", self.secret.id),
                ("complaint", "crm.complaint", self.complaint.id),
                ("chat", "discuss.channel", self.chat.id),
                ("call", "crm.call", self.call.id),
            ])
        call = timeline[-1]
        self.assertEqual(call["channel_label"], "Call")
        self.assertEqual(call["date"], "2025-03-03 09:00:00")
        self.assertEqual(call["summary"], "Inbound \u00b7 Done")
        self.assertEqual(timeline[0]["summary"], "Quotation questions")
        self.assertIn("Broken <b>kettle</b>", timeline[5]["summary"])

    def test_dates_and_labels_of_the_reader(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        timeline = self.customer.with_context(tz="Asia/Shanghai", lang="zh_CN") \
            ._crm_interaction_timeline()
        call = timeline[-1]
        self.assertIn("17:00", call["date_display"], "09:00 UTC is 17:00 in Shanghai")
        self.assertEqual(call["date"], "2025-03-03 09:00:00", "the raw date stays UTC")
        self.assertEqual(call["channel_label"], "\u901a\u8bdd")  # 通话
        self.assertEqual(timeline[0]["channel_label"], "\u90ae\u4ef6")  # 邮件

    def test_latest_twenty(self):
        self.env["crm.call"].sudo().create([{
            "direction": "outbound", "partner_id": self.customer.id, "phone": "+86 10 6552 1234",
            "state": "done", "date_start": T0 + timedelta(days=1, minutes=index),
        } for index in range(25)])
        timeline = self.customer._crm_interaction_timeline()
        self.assertEqual(len(timeline), 20)
        self.assertEqual({entry["channel"] for entry in timeline}, {"call"})
        dates = [entry["date"] for entry in timeline]
        self.assertEqual(dates, sorted(dates, reverse=True))
        self.assertEqual(dates[0], "2025-03-04 09:24:00")
        self.assertEqual(len(self.customer._crm_interaction_timeline(limit=5)), 5)

    def test_restricted_reader_sees_only_what_they_may_read(self):
        """A salesperson of the Hotline team, not a call center agent: no calls, no
        live chats; not the Complaint Desk's complaint, nor its e-mail."""
        timeline = self.customer.with_user(self.salesperson)._crm_interaction_timeline()
        self.assertEqual(
            [(entry["res_model"], entry["res_id"]) for entry in timeline], [
                ("crm.lead", self.lead.id),
                ("crm.complaint", self.complaint.id),
                ("res.partner", self.customer.id),
                ("crm.complaint", self.complaint.id),
            ])
        html = self.customer.with_user(self.salesperson).crm_timeline_html
        self.assertNotIn("Desk-only complaint", html)
        self.assertNotIn("Desk e-mail", html)
        # over RPC too
        rpc = self.customer.with_user(self.salesperson).crm_interaction_timeline(limit=100)
        self.assertEqual(len(rpc), 4)

    def test_rendered_in_the_partner_form(self):
        html = str(self.customer.with_context(tz="UTC", lang="en_US").crm_timeline_html)
        self.assertIn("Broken &lt;b&gt;kettle&lt;/b&gt;", html, "values are escaped")
        self.assertNotIn("<b>kettle", html)
        self.assertIn(f'href="/odoo/crm.call/{self.call.id}"', html)
        self.assertIn("Live Chat", html)
        arch = self.env.ref("crm_callcenter.view_partner_form_inherit_crm_callcenter_timeline") \
            .arch
        self.assertIn("crm_timeline_html", arch)
        empty = self.env["res.partner"].create({"name": "Nobody Yet"})
        self.assertIn("No interaction yet.", str(empty.crm_timeline_html))

    def test_screen_pop_timeline_for_the_agent(self):
        call = self._timeline_call(T0 + timedelta(days=2), partner=self.customer)
        timeline = call.with_user(self.user_a).get_crm_screen_pop_timeline()
        shown = [(entry["res_model"], entry["res_id"]) for entry in timeline]
        self.assertNotIn(("crm.call", call.id), shown, "the ringing call is the pop itself")
        self.assertEqual(shown[-1], ("crm.call", self.call.id), "the contact's earlier call")
        # the agent's own rights: the chat they answered, their team's complaint, not
        # the Complaint Desk's
        self.assertIn(("discuss.channel", self.chat.id), shown)
        self.assertIn(("crm.complaint", self.complaint.id), shown)
        self.assertNotIn(("crm.complaint", self.secret.id), shown)
        unknown = self.env["crm.call"].sudo().create({
            "direction": "inbound", "phone": "+86 21 5555 0000", "queue_id": self.queue.id,
            "state": "ringing", "date_start": T0, "agent_id": self.agent_a.id,
        })
        self.assertEqual(unknown.with_user(self.user_a).get_crm_screen_pop_timeline(), [])
        # another team's agent may not read the call, nor its caller's history
        with self.assertRaises(AccessError):
            call.with_user(self.user_c).get_crm_screen_pop_timeline()

    def test_bounded_queries_at_two_sizes(self):
        """The same number of queries with 8 or 108 interactions of every channel."""
        reader = self.customer.with_user(self.manager).with_context(tz="UTC")

        def grow(count):
            start = T0 + timedelta(days=10)
            for index in range(count):
                self._timeline_call(start + timedelta(minutes=index))
                self._email(self.customer, f"Mail {index}", start + timedelta(minutes=index))
            self.env["crm.complaint"].sudo().create([{
                "name": f"Complaint {index}", "partner_id": self.contact.id,
                "team_id": self.team.id, "channel": "phone",
                "date_received": start + timedelta(minutes=index),
            } for index in range(count)])

        counts = []
        for size in (0, 50):
            grow(size)
            self.env.flush_all()
            self.env.invalidate_all()
            reader._crm_interaction_timeline()  # warm the registry's caches
            self.env.invalidate_all()
            with self.assertQueryCount(QUERIES):
                timeline = reader._crm_interaction_timeline()
            counts.append(len(timeline))
        self.assertEqual(counts[-1], 20)
