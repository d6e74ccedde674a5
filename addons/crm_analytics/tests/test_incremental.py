from datetime import timedelta
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import SQL

from ..models.crm_analytics_engine import OLD_VALUE_COLUMNS
from .common import AS_OF, CrmAnalyticsCommon

LATER = AS_OF + timedelta(days=9)


@tagged("post_install", "-at_install")
class TestIncrementalRun(CrmAnalyticsCommon):
    """A run that follows another goes on from the figures the value rows carry (the
    orders of the new days added, those leaving the churn periods and the holdout
    period taken out) and counts in full only the customers whose orders changed:
    each case ends with the same figures as counting every order again."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"crm_churn_spend_days": 30})
        cls.buyers = cls._customers(8, prefix="Steady")
        specs = []
        for index, buyer in enumerate(cls.buyers):
            for week in range(0, 60, 3 + index % 4):
                day = AS_OF - timedelta(days=7 * week + index)
                specs.append((buyer, 100.0 + 13 * index + week, day))
        # a refund beside a purchase, a refund on a day of its own
        specs += [(cls.buyers[0], -40.0, AS_OF - timedelta(days=28)),
                  (cls.buyers[1], -25.0, AS_OF - timedelta(days=3))]
        cls.orders = cls._orders_on(specs)

    def _settle(self):
        """As if the run and the orders so far were days old: what changes next is
        what the next run counts again."""
        self.env.flush_all()
        self.env.cr.execute(SQL(
            "UPDATE sale_order SET write_date = now() AT TIME ZONE 'UTC' - interval '10 days' "
            "WHERE company_id = %s", self.company.id))
        self.env.cr.execute(SQL(
            "UPDATE crm_clv_model SET create_date = now() AT TIME ZONE 'UTC' - interval '5 days', "
            "unseen_since = now() AT TIME ZONE 'UTC' - interval '5 days 1 hour' "
            "WHERE company_id = %s", self.company.id))
        self.env.cr.execute(SQL("DELETE FROM crm_customer_value_recount"))
        self.env.invalidate_all()

    def _figures(self):
        """The customers' order figures of the last run (not what their value rows
        held, nor whether they were counted again)."""
        self.env.cr.execute(SQL(
            "SELECT * FROM crm_analytics_customer ORDER BY partner_id"))
        names = [column.name for column in self.env.cr.description]
        skipped = {"touched", *OLD_VALUE_COLUMNS}
        return [{name: value for name, value in zip(names, row, strict=True)
                 if name not in skipped} for row in self.env.cr.fetchall()]

    def _assert_same_as_full(self, as_of=LATER):
        """Run for ``as_of`` after the first run: the path taken is the incremental
        one, and its figures are those of a count of every order."""
        self.env.cr.execute(SQL("DROP TABLE IF EXISTS crm_analytics_delta"))
        model = self._run(as_of)
        self.env.cr.execute(SQL("SELECT to_regclass('pg_temp.crm_analytics_delta')"))
        self.assertTrue(self.env.cr.fetchone()[0], "the run went on from the last one")
        carried = self._figures()
        engine = self.env["crm.analytics.engine"].sudo().with_company(self.company)
        engine._insert_customers(self.company, as_of, full=True)
        self.assertEqual(carried, self._figures())
        return model, carried

    def _first_run(self):
        self._run()
        self._settle()

    def test_new_days_and_windows(self):
        """New orders of known customers and of new ones (one with refunds only, no
        customer), days leaving the churn periods and the holdout period."""
        self._first_run()
        newcomer, refunder = self._customers(2, prefix="New")
        self._orders_on([
            (self.buyers[0], 500.0, AS_OF + timedelta(days=2)),
            (self.buyers[0], -20.0, AS_OF + timedelta(days=2)),
            (self.buyers[2], 75.5, AS_OF + timedelta(days=9)),
            (newcomer, 60.0, AS_OF + timedelta(days=4)),
            (refunder, -10.0, AS_OF + timedelta(days=5)),
            # after the run's date: not counted yet
            (self.buyers[3], 999.0, AS_OF + timedelta(days=12)),
        ])
        _model, carried = self._assert_same_as_full()
        ids = {row["partner_id"] for row in carried}
        self.assertIn(newcomer.id, ids)
        self.assertNotIn(refunder.id, ids)
        first = next(row for row in carried if row["partner_id"] == self.buyers[0].id)
        self.assertEqual(first["last_day"], AS_OF + timedelta(days=2))
        # the next run goes on from this one in turn
        self._settle()
        self._assert_same_as_full(LATER + timedelta(days=20))

    def test_orders_changed_in_the_past(self):
        """An old order's amount changed, one cancelled, one dated after the run, one
        given to another customer: those customers are counted again."""
        self._first_run()
        changed, cancelled, moved, given = (
            self.orders.filtered(lambda o, b=buyer: o.partner_id == b)[2]
            for buyer in self.buyers[:4])
        changed.order_line.price_unit = 7777.0
        cancelled._action_cancel()
        moved.date_order = f"{LATER + timedelta(days=3)} 10:00:00"
        given.sudo().partner_id = self.buyers[5]
        self._assert_same_as_full()

    def test_contact_moved_and_partners_merged(self):
        """A contact's orders follow them to another company; merged partners' orders
        to the partner kept: both customers of each are counted again."""
        contact = self.env["res.partner"].create({"name": "Buyer at Steady 000",
                                                  "parent_id": self.buyers[0].id})
        duplicate = self.env["res.partner"].create({"name": "Buyer at Steady 007",
                                                    "parent_id": self.buyers[7].id})
        self._orders_on([(contact, 321.0, AS_OF - timedelta(days=40)),
                         (contact, 123.0, AS_OF - timedelta(days=80)),
                         (duplicate, 222.0, AS_OF - timedelta(days=50))])
        self._first_run()
        contact.parent_id = self.buyers[6]
        # the duplicate contact of one company merged into another company
        self.env["base.partner.merge.automatic.wizard"]._merge(
            (duplicate | self.buyers[1]).ids, dst_partner=self.buyers[1],
            extra_checks=False)
        self.assertFalse(duplicate.exists())
        self._assert_same_as_full()

    def test_full_count_when_the_basis_changes(self):
        """Another time zone, another churn period, a run more than a month later or
        before the last one: every order is counted again."""
        self._first_run()
        engine = self.env["crm.analytics.engine"].sudo()
        self.assertTrue(engine._previous_run(self.company, LATER))
        self.assertFalse(engine._previous_run(self.company, AS_OF + timedelta(days=32)))
        self.assertFalse(engine._previous_run(self.company, AS_OF - timedelta(days=1)))
        self.company.crm_churn_spend_days = 45
        self.assertFalse(engine._previous_run(self.company, LATER))
        self.company.crm_churn_spend_days = 30
        self.company.partner_id.tz = "Asia/Shanghai"
        self.assertFalse(engine._previous_run(self.company, LATER))
        self._run(LATER)
        # the table of the new days' orders is made on the incremental path only
        self.env.cr.execute(SQL("SELECT to_regclass('pg_temp.crm_analytics_delta')"))
        self.assertFalse(self.env.cr.fetchone()[0])

    def test_carried_figures_cleared_with_the_customer(self):
        """A customer whose every order is cancelled loses their value row's figures;
        the figures are for the engine only."""
        self._first_run()
        buyer = self.buyers[4]
        self.orders.filtered(lambda o: o.partner_id == buyer)._action_cancel()
        self._assert_same_as_full()
        row = self.env["crm.customer.value"].sudo().search(
            [("partner_id", "=", buyer.id), ("company_id", "=", self.company.id)])
        self.assertFalse(row.orders_amount)
        self.assertFalse(row.orders_calibration_last_date)
        salesman_fields = self.env["crm.customer.value"].with_user(self.salesman) \
            .fields_get(["orders_amount"])
        self.assertFalse(salesman_fields)

    def test_prospects_between_carried_runs(self):
        """On the incremental path, a partner with a new open lead becomes a prospect
        and stops being one when the lead is lost; the customers carried as they were
        keep their scores."""
        self._first_run()
        prospect = self._customers(1, prefix="Lead")
        lead = self.env["crm.lead"].create({"name": "New deal", "partner_id": prospect.id,
                                            "company_id": self.company.id})
        self._assert_same_as_full()
        self.assertEqual(prospect.lifecycle_stage, "prospect")
        steady = self.buyers[2]
        scores = (steady.rfm_frequency, steady.customer_tier, steady.rfm_segment)
        self.assertTrue(all(scores))
        lead.action_set_lost()
        self._assert_same_as_full(LATER + timedelta(days=1))
        self.env.invalidate_all()
        self.assertFalse(prospect.lifecycle_stage)
        self.assertEqual((steady.rfm_frequency, steady.customer_tier, steady.rfm_segment),
                         scores)

    def test_order_written_while_the_last_run_was_under_way(self):
        """An order changed by a transaction that began before the last run and
        committed after it (written after the run's ``unseen_since``, before the run
        itself): its customer is counted again."""
        self._first_run()
        order = self.orders.filtered(lambda o: o.partner_id == self.buyers[3])[1]
        order.order_line.price_unit = 4321.0
        self.env.flush_all()
        self.env.cr.execute(SQL(
            "UPDATE sale_order SET write_date = now() AT TIME ZONE 'UTC' "
            "- interval '5 days 30 minutes' WHERE id = %s", order.id))
        self.env.invalidate_all()
        model = self.env["crm.clv.model"].search([("company_id", "=", self.company.id)])
        self.assertLess(model.unseen_since, order.write_date)
        self.assertLess(order.write_date, model.create_date)
        _model, carried = self._assert_same_as_full()
        row = next(row for row in carried if row["partner_id"] == self.buyers[3].id)
        self.assertGreater(row["orders_amount"], 4321)

    def test_rows_left_are_those_a_full_count_leaves(self):
        """The next run rewrites only the customers it tells apart in memory (scores
        key, predicted value, signals from outside the orders, warnings due): a run
        for the same day that counts every order and compares every row finds
        nothing left to change. Time alone moves some customers (recency,
        probability alive); a complaint opens for another, one buys again."""
        self._first_run()
        complaining, buying = self.buyers[6], self.buyers[0]
        self.env["crm.complaint"].create({"name": "Broken", "partner_id": complaining.id})
        day = AS_OF + timedelta(days=4)
        self._orders_on([(buying, 250.0, day - timedelta(days=1))])
        model = self._run(day)
        self.env.cr.execute(SQL("SELECT to_regclass('pg_temp.crm_analytics_delta')"))
        self.assertTrue(self.env.cr.fetchone()[0], "the run went on from the last one")
        Value = self.env["crm.customer.value"].sudo()
        rewritten = Value.search([("company_id", "=", self.company.id),
                                  ("value_date", "=", day)]).partner_id
        self.assertIn(complaining, rewritten)
        self.assertIn(buying, rewritten)
        self.assertTrue(rewritten - complaining - buying, "time alone moves customers")
        self.assertLess(len(rewritten), len(self.buyers), "the others are left alone")
        self.assertEqual(model.changed_count, len(rewritten))
        History = self.env["crm.customer.value.history"]
        history = History.search([("company_id", "=", self.company.id)])
        engine_class = type(self.env["crm.analytics.engine"])
        self.env.cr.execute(SQL("DROP TABLE crm_analytics_delta"))
        with patch.object(engine_class, "_previous_run", return_value=None):
            full = self._run(day)
        self.env.cr.execute(SQL("SELECT to_regclass('pg_temp.crm_analytics_delta')"))
        self.assertFalse(self.env.cr.fetchone()[0], "every order counted")
        self.assertEqual(full.changed_count, 0)
        self.assertEqual(History.search([("company_id", "=", self.company.id)]), history)

    def test_signal_figures_from_outside_the_orders(self):
        """A second complaint: the same signals as the day before, another figure;
        the run rewrites that customer's reasons, and that customer's only."""
        complaining = self.buyers[6]
        Complaint = self.env["crm.complaint"]
        Complaint.create({"name": "Broken", "partner_id": complaining.id})
        self._first_run()
        Value = self.env["crm.customer.value"].sudo()
        row = Value.search([("partner_id", "=", complaining.id)])
        self.assertEqual(row.churn_signals["complaints"], 1)
        Complaint.create({"name": "Broken again", "partner_id": complaining.id})
        model = self._run()
        self.assertEqual(model.changed_count, 1)
        self.env.invalidate_all()
        self.assertEqual(row.churn_signals["complaints"], 2)
