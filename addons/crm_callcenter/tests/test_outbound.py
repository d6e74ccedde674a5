from datetime import datetime, timedelta
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import CrmCallcenterCommon

# 10:00 in Shanghai
NOW = datetime(2025, 3, 3, 2, 0, 0)


@tagged("post_install", "-at_install")
class TestOutbound(CrmCallcenterCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.env["res.users"].browse((cls.user_a | cls.user_b | cls.supervisor).ids).write(
            {"tz": "Asia/Shanghai"})
        cn = env.ref("base.cn")
        # 60 members with a phone, 5 of them blacklisted and 4 opted out; 3 without a number
        cls.members = env["res.partner"].create([{
            "name": f"Outbound Member {index:02d}",
            "phone": f"138 0000 {index:04d}" if index % 2 else False,
            "mobile": False if index % 2 else f"139 0000 {index:04d}",
            "crm_call_opt_out": index in (3, 13, 23, 33),
            "country_id": cn.id,
        } for index in range(60)])
        cls.no_phone = env["res.partner"].create([{
            "name": f"Outbound Member no phone {index}", "country_id": cn.id,
        } for index in range(3)])
        cls.blacklisted = cls.members.filtered(
            lambda p: p.name[-2:] in ("10", "20", "30", "40", "50"))
        env["phone.blacklist"].sudo().create([
            {"number": p.crm_phone_normalized or p.crm_mobile_normalized}
            for p in cls.blacklisted
        ])
        cls.segment = env["crm.segment"].create({
            "name": "Outbound test segment",
            "domain": "[('name', 'ilike', 'Outbound Member')]",
        })
        cls.call_list = env["crm.call.list"].with_user(cls.supervisor).create({
            "name": "Spring calls", "segment_id": cls.segment.id,
            "max_attempts": 2, "retry_delay_hours": 4.0, "hour_from": 9.0, "hour_to": 18.0,
        })
        cls.outcome = {
            name: env.ref(f"crm_callcenter.crm_call_outcome_{name}")
            for name in ("reached", "no_answer", "busy", "call_back", "wrong_number",
                         "not_interested", "do_not_call", "sale")
        }

    def setUp(self):
        super().setUp()
        # Dial checks the calling hours at the server's time: 10:00 in Shanghai
        self.startPatcher(patch("odoo.fields.Datetime.now", return_value=NOW))

    def _build_and_start(self):
        self.call_list.with_user(self.supervisor).action_build()
        self.call_list.with_user(self.supervisor).action_start()

    def _reserve(self, user, now=NOW):
        agent = self.env["crm.call.agent"].search([("user_id", "=", user.id)])
        return self.call_list.sudo()._reserve_next_entry(agent, now)

    def test_build_skips_do_not_call(self):
        self.call_list.with_user(self.supervisor).action_build()
        entries = self.call_list.entry_ids
        self.assertEqual(len(entries), 60, "members without a phone or mobile are left out")
        self.assertEqual(self.call_list.pending_count, 51)
        self.assertEqual(self.call_list.skipped_count, 9)
        skipped = entries.filtered(lambda e: e.state == "skipped")
        self.assertEqual(skipped.partner_id,
                         self.blacklisted | self.members.filtered("crm_call_opt_out"))
        for entry in skipped:
            self.assertTrue(entry.skip_reason)
            if entry.partner_id.crm_call_opt_out:
                self.assertIn("Do Not Call", entry.skip_reason)
            else:
                self.assertIn("do-not-call list", entry.skip_reason)
                self.assertIn(entry.phone_sanitized, entry.skip_reason)
        mobile_entry = entries.filtered(lambda e: e.partner_id == self.members[0])
        self.assertEqual(mobile_entry.phone, "139 0000 0000")
        self.assertEqual(mobile_entry.phone_sanitized, "+8613900000000")
        # building again adds no duplicate
        self.call_list.with_user(self.supervisor).action_build()
        self.assertEqual(len(self.call_list.entry_ids), 60)

    def test_skip_reasons_in_the_readers_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self._build_and_start()
        skipped = self.call_list.entry_ids.filtered(lambda e: e.state == "skipped")
        self.assertEqual(set(skipped.mapped("skip_code")), {"opt_out", "blacklist"})
        blacklisted = skipped.filtered(lambda e: e.skip_code == "blacklist")[:1]
        self.assertIn("do-not-call list", blacklisted.skip_reason)
        in_chinese = blacklisted.with_context(lang="zh_CN").skip_reason
        self.assertIn(blacklisted.phone_sanitized, in_chinese)
        self.assertNotIn("do-not-call", in_chinese)
        self.assertIn("停止呼出", in_chinese)

    def test_entry_as_the_agent_sees_it(self):
        """Titled by the customer, marked do-not-call before anyone dials, with the
        list's call script at hand."""
        self.call_list.sudo().note = "<p>Greet, then offer the spring tea.</p>"
        self._build_and_start()
        entries = self.call_list.entry_ids
        member = entries.filtered(lambda e: e.partner_id == self.members[1])
        self.assertEqual(member.display_name, "Outbound Member 01")
        self.assertFalse(member.do_not_call)
        self.assertIn("spring tea", member.with_user(self.user_a).script)
        marked = entries.filtered("do_not_call")
        self.assertEqual(marked, entries.filtered(lambda e: e.state == "skipped"))
        # blacklisted after the build: marked at once
        self.env["phone.blacklist"].sudo().create({"number": member.phone_sanitized})
        member.invalidate_recordset(["do_not_call"])
        self.assertTrue(member.do_not_call)
        number_only = self.env["crm.call.list.entry"].create({
            "list_id": self.call_list.id, "phone": "+86 21 5555 0100"})
        self.assertEqual(number_only.display_name, "+86 21 5555 0100")

    def test_build_is_set_based(self):
        """The entries are created together: the queries do not grow with the members."""
        other = self.call_list.copy({"name": "Copy"})
        self.env.flush_all()
        self.env.invalidate_all()
        with self.assertQueryCount(__system__=34):
            other.action_build()
        self.assertEqual(len(other.entry_ids), 60)

    def test_build_from_campaign_and_by_hand(self):
        campaign = self.env["utm.campaign"].create({
            "name": "Outbound campaign", "segment_id": self.segment.id,
        })
        call_list = self.env["crm.call.list"].create({
            "name": "From campaign", "campaign_id": campaign.id,
        })
        call_list.action_build()
        self.assertEqual(call_list.pending_count, 51)
        empty = self.env["crm.call.list"].create({"name": "Nothing"})
        with self.assertRaisesText(UserError, "segment"):
            empty.action_build()
        # by hand: a blacklisted number is skipped at once
        entries = self.env["crm.call.list.entry"].with_user(self.supervisor).create([
            {"list_id": empty.id, "phone": self.blacklisted[0].phone
             or self.blacklisted[0].mobile},
            {"list_id": empty.id, "phone": "021 5555 0199"},
        ])
        self.assertEqual(entries.mapped("state"), ["skipped", "pending"])
        self.assertEqual(entries[1].phone_sanitized, "+862155550199")

    def test_reserve_next_entry(self):
        self._build_and_start()
        first = self._reserve(self.user_a)
        self.assertEqual(first.state, "in_progress")
        self.assertEqual(first.agent_id, self.agent_a)
        second = self._reserve(self.user_b)
        self.assertEqual(second.agent_id, self.agent_b)
        self.assertNotEqual(first, second)
        # outside the calling hours (20:00 in Shanghai): nothing
        self.assertFalse(self._reserve(self.user_a, NOW + timedelta(hours=10)))
        # a number blacklisted after the build is skipped at reservation time
        first.sudo().state = "done"
        pending = self.call_list.entry_ids.filtered(lambda e: e.state == "pending").sorted("id")
        self.env["phone.blacklist"].sudo().create({"number": pending[0].phone_sanitized})
        pending[1].partner_id.crm_call_opt_out = True
        third = self._reserve(self.user_a)
        self.assertEqual(third, pending[2])
        self.assertEqual(pending[0].state, "skipped")
        self.assertIn("do-not-call list", pending[0].skip_reason)
        self.assertEqual(pending[1].state, "skipped")
        # the public method, as the agent calls it
        with patch("odoo.fields.Datetime.now", return_value=NOW):
            entry = self.call_list.with_user(self.user_b).reserve_next_entry()
        self.assertEqual(entry.user_id, self.user_b)
        # a draft list gives nothing to call
        self.call_list.action_reset_draft()
        with self.assertRaisesText(UserError, "Start the call list"):
            self._reserve(self.user_a)

    def test_not_before_next_attempt(self):
        self._build_and_start()
        self.call_list.entry_ids.filtered(lambda e: e.state == "pending").sudo().write(
            {"date_next_attempt": NOW + timedelta(hours=1)})
        self.assertFalse(self._reserve(self.user_a))
        self.assertTrue(self._reserve(self.user_a, NOW + timedelta(hours=1)))

    def test_outcomes_drive_retries(self):
        self._build_and_start()
        entry = self._reserve(self.user_a).with_user(self.user_a)
        entry.action_dial()
        call = entry.call_id
        self.assertEqual((call.direction, call.state, call.agent_id),
                         ("outbound", "ringing", self.agent_a))
        entry._record_outcome(self.outcome["no_answer"], now=NOW)
        self.assertEqual(call.outcome_id, self.outcome["no_answer"])
        self.assertEqual(call.state, "done")
        self.assertEqual((entry.state, entry.attempt_count), ("pending", 1))
        self.assertEqual(entry.date_next_attempt, NOW + timedelta(hours=4))
        self.assertFalse(entry.agent_id)
        # offered again only after the delay, then failed at the maximum of attempts
        other = self._reserve(self.user_a)
        self.assertNotEqual(other, entry)
        other.sudo().state = "done"
        # entries never called come first (no next attempt); reserve until ours,
        # closing each one reserved before it (an agent holds one entry at a time)
        again = self._reserve(self.user_a, NOW + timedelta(hours=4, minutes=1))
        while again and again != entry:
            again.sudo().state = "done"
            again = self._reserve(self.user_a, NOW + timedelta(hours=4, minutes=1))
        self.assertEqual(again, entry)
        entry.action_dial()
        self.assertNotEqual(entry.call_id, call, "a new call for a new attempt")
        entry._record_outcome(self.outcome["busy"], note="Line busy", now=NOW)
        self.assertEqual((entry.state, entry.attempt_count), ("failed", 2))
        self.assertIn("Line busy", entry.note)

    def test_outcome_done_and_wrong_number(self):
        self._build_and_start()
        sold = self._reserve(self.user_a).with_user(self.user_a)
        wizard = self.env["crm.call.list.outcome.wizard"].with_user(self.user_a).create({
            "entry_id": sold.id, "outcome_id": self.outcome["sale"].id, "note": "Ordered",
        })
        wizard.action_confirm()
        self.assertEqual(sold.state, "done")
        wrong = self._reserve(self.user_a).with_user(self.user_a)
        wrong._record_outcome(self.outcome["wrong_number"])
        self.assertEqual(wrong.state, "failed")
        # another agent cannot record the outcome of an entry reserved for agent A
        entry = self._reserve(self.user_a)
        with self.assertRaises(AccessError):
            entry.with_user(self.user_b)._record_outcome(self.outcome["reached"])

    def test_outcome_do_not_call_me(self):
        self._build_and_start()
        entry = self._reserve(self.user_a).with_user(self.user_a)
        number = entry.phone_sanitized
        same_number = self.env["crm.call.list.entry"].create({
            "list_id": self.env["crm.call.list"].create({"name": "Other list"}).id,
            "phone": number,
        })
        self.assertEqual(same_number.state, "pending")
        entry.action_dial()
        entry._record_outcome(self.outcome["do_not_call"])
        self.assertTrue(self.env["phone.blacklist"].sudo().search([("number", "=", number)]))
        self.assertEqual(entry.state, "skipped")
        self.assertEqual(entry.call_id.outcome_id, self.outcome["do_not_call"])
        self.assertEqual(same_number.state, "skipped")
        self.assertIn(number, same_number.skip_reason)

    def test_one_entry_per_agent_and_list(self):
        """An agent holds one entry of a list at a time: asking again gives the entry
        they hold, and dialling another pending entry meanwhile is refused."""
        self._build_and_start()
        first = self._reserve(self.user_a)
        self.assertEqual(self._reserve(self.user_a), first)
        with patch("odoo.fields.Datetime.now", return_value=NOW):
            self.assertEqual(self.call_list.with_user(self.user_a).reserve_next_entry(),
                             first)
        held = self.call_list.entry_ids.filtered(
            lambda e: e.state == "in_progress" and e.agent_id == self.agent_a)
        self.assertEqual(held, first)
        pending = self.call_list.entry_ids.filtered(lambda e: e.state == "pending")[:1]
        with self.assertRaisesText(UserError, "record its outcome"):
            pending.with_user(self.user_a).sudo().action_dial()
        self.assertEqual(pending.state, "pending")
        # once the held entry is over, the next one
        first.sudo().state = "done"
        second = self._reserve(self.user_a)
        self.assertNotIn(second, first)
        self.assertEqual(second.state, "in_progress")

    def test_dial_refuses_do_not_call(self):
        self._build_and_start()
        entry = self._reserve(self.user_a).with_user(self.user_a)
        entry.partner_id.sudo().crm_call_opt_out = True
        with self.assertRaisesText(UserError, "asked not to be called"):
            entry.action_dial()
        entry.sudo().state = "skipped"
        other = self._reserve(self.user_a).with_user(self.user_a)
        self.env["phone.blacklist"].sudo().create({"number": other.phone_sanitized})
        with self.assertRaisesText(UserError, "do-not-call list"):
            other.action_dial()
        self.assertFalse(self.env["crm.call"].search([("partner_id", "in", (
            entry | other).partner_id.ids)]))
        # a pending entry dialled directly (by a supervisor) is reserved for them
        agent = self.env["crm.call.agent"].create({
            "user_id": self.supervisor.id, "extension": "704",
        })
        third = self.call_list.entry_ids.filtered(
            lambda e: e.state == "pending").sorted("id")[0]
        action = third.with_user(self.supervisor).action_dial()
        self.assertEqual(action["res_model"], "crm.call")
        self.assertEqual((third.state, third.agent_id), ("in_progress", agent))
        self.assertEqual(third.call_id.direction, "outbound")
        # an agent cannot dial entries that are not theirs
        with self.assertRaises(AccessError):
            third.with_user(self.user_b).action_dial()

    def test_next_call_button(self):
        self._build_and_start()
        with patch("odoo.fields.Datetime.now", return_value=NOW):
            action = self.call_list.with_user(self.user_a).action_next_call()
        entry = self.env["crm.call.list.entry"].browse(action["res_id"])
        self.assertEqual(entry.agent_id, self.agent_a)
        with patch("odoo.fields.Datetime.now", return_value=NOW + timedelta(hours=10)), \
                self.assertRaisesText(UserError, "calling hours"):
            self.call_list.with_user(self.user_a).action_next_call()

    def test_list_figures_as_an_agent_reads_them(self):
        """Progress leaves out the skipped entries (not to be called); the Entries
        button counts what it opens for the user; agents are not offered Archive."""
        self._build_and_start()
        call_list = self.call_list
        # 60 members with a number: 9 skipped (blacklisted or opted out), 51 to call
        self.assertEqual((call_list.entry_count, call_list.skipped_count), (60, 9))
        self.assertEqual(call_list.progress, 0.0, "nothing called yet")
        first = self._reserve(self.user_a)
        first._record_outcome(self.outcome["reached"])
        call_list.invalidate_recordset(["progress"])
        self.assertAlmostEqual(call_list.progress, 100.0 / 51)
        self._reserve(self.user_a)
        as_agent = call_list.with_user(self.user_a)
        opened = self.env["crm.call.list.entry"].with_user(self.user_a).search(
            as_agent.action_view_entries()["domain"])
        self.assertEqual(as_agent.my_entry_count, len(opened))
        self.assertEqual(len(opened), 2, "their done entry and the one they hold")
        self.assertEqual(call_list.with_user(self.supervisor).my_entry_count, 60)
        self.assertTrue(as_agent.fields_get(["active"])["active"]["readonly"])
        self.assertFalse(call_list.with_user(self.supervisor).fields_get(
            ["active"])["active"].get("readonly"))

    def test_calling_hours_are_the_called_partys(self):
        """10:00 in Shanghai is 03:00 in Paris and 21:00 in San Francisco: only the
        customer in Shanghai is called; Dial refuses the others, saying their time."""
        call_list = self.env["crm.call.list"].create({"name": "World calls"})
        paris = self.env["res.partner"].create({
            "name": "Client Paris", "phone": "+33 1 42 68 53 00",
            "country_id": self.env.ref("base.fr").id})
        by_tz = self.env["res.partner"].create({
            "name": "Customer by time zone", "phone": "+86 138 0000 9999",
            "tz": "America/Los_Angeles"})
        shanghai = self.members[1]
        entries = self.env["crm.call.list.entry"].create([
            {"list_id": call_list.id, "partner_id": partner.id, "phone": partner.phone}
            for partner in (paris, by_tz, shanghai)
        ] + [{"list_id": call_list.id, "phone": "+1 212 555 0100"}])
        self.assertEqual(entries.mapped("tz"), ["Europe/Paris", "America/Los_Angeles",
                                                "Asia/Shanghai", "America/New_York"],
                         "the customer's, their country's, the number's")
        call_list.action_start()
        agent = self.env["crm.call.agent"].search([("user_id", "=", self.user_a.id)])

        def reserve(now=NOW):
            return call_list.sudo()._reserve_next_entry(agent, now)

        self.assertEqual(reserve(), entries[2])
        entries[2].sudo().state = "done"
        self.assertFalse(reserve(), "night in Paris and America")
        with self.assertRaisesText(UserError, "It is 03:00 for Client Paris"):
            entries[0].with_user(self.user_a).sudo().action_dial()
        # 17:00 in Paris (00:00 in Shanghai), the agent's evening: Paris is called
        evening = NOW + timedelta(hours=14)
        self.assertEqual(reserve(evening), entries[0])
