from datetime import datetime, time, timedelta
from unittest.mock import patch

from psycopg2.errors import SerializationFailure

from odoo import api
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL, mute_logger

ENGINE_LOGGER = "odoo.addons.crm_analytics.models.crm_analytics_engine"
# (customer, days before today of each of its orders), all over a month old: one
# slipping away (its usual gap 10 days, over 80 since its last order: a churn signal,
# high risk with one signal), two who are not. Their scores are the same on any day
# of the last month: a run then and one today compute the same.
CUSTOMERS = (
    ("Slipping", (130, 120, 110)),
    ("Steady", (400, 200, 40)),
    ("New", (50,)),
)


@tagged("post_install", "-at_install")
class TestEngineJobConcurrency(TransactionCase):
    """Two runs of the daily customer value job (``crm.analytics.engine._cron_run``)
    at the same moment, each in its own transaction: the data (a company of its own,
    its customers and their orders) is committed in a cursor of its own (the test's
    cursor is never committed), and removed again at the end. The job computes only
    that company here: the others of the database are not the test's."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            company = env["res.company"].create({
                "name": "Jobs concurrency Company", "crm_churn_high_signals": 1,
            })
            seller = env["res.users"].with_context(no_reset_password=True).create({
                "name": "Jobs concurrency Seller", "login": "jobs_concurrency_seller",
                "company_id": company.id, "company_ids": [(6, 0, company.ids)],
                "groups_id": [(6, 0, env.ref("sales_team.group_sale_salesman").ids)],
            })
            partners = env["res.partner"].create([
                {"name": f"Jobs concurrency {name}", "is_company": True,
                 "user_id": seller.id}
                for name, _days in CUSTOMERS
            ])
            product = env["product.product"].create({
                "name": "Jobs concurrency Licence", "type": "service", "list_price": 100.0,
            })
            specs = [(partner, days) for partner, (_name, ago) in zip(
                partners, CUSTOMERS, strict=True) for days in ago]
            orders = env(context={"allowed_company_ids": company.ids})["sale.order"].create([{
                "partner_id": partner.id, "company_id": company.id, "user_id": seller.id,
                "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 1,
                                       "price_unit": 100.0, "tax_id": [(5, 0, 0)]})],
            } for partner, _days in specs])
            orders.action_confirm()
            today = company._crm_today()
            for order, (_partner, days) in zip(orders, specs, strict=True):
                order.date_order = datetime.combine(today - timedelta(days=days), time(10))
            cron = env.ref("crm_analytics.crm_analytics_engine_cron")
            cr.execute(SQL("SELECT COALESCE(MAX(id), 0) FROM ir_cron_trigger"))
            self.ids = {
                "company": company.id, "seller": seller.id, "partners": partners.ids,
                "product": product.id, "orders": orders.ids, "cron": cron.id,
                "last_trigger": cr.fetchone()[0], "today": today,
            }
        self.addCleanup(self._cleanup)
        # the job computes the test's company only, if due (the others are not ours)
        engine = type(self.env["crm.analytics.engine"])
        companies_due = engine._companies_due

        def _companies_due(engine_self):
            return companies_due(engine_self).filtered(
                lambda company: company.id == self.ids["company"])

        self.startPatcher(patch.object(engine, "_companies_due", _companies_due))

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            company_id = self.ids["company"]
            env["mail.activity"].search([
                ("res_model", "=", "res.partner"), ("res_id", "in", self.ids["partners"]),
            ]).unlink()
            env["ir.cron.trigger"].search([
                ("cron_id", "=", self.ids["cron"]), ("id", ">", self.ids["last_trigger"]),
            ]).unlink()
            for model in ("crm.customer.value.history", "crm.customer.value",
                          "crm.clv.model"):
                env[model].search([("company_id", "=", company_id)]).unlink()
            orders = env["sale.order"].browse(self.ids["orders"])
            orders._action_cancel()
            orders.unlink()
            env["product.product"].browse(self.ids["product"]).unlink()
            env["res.partner"].browse(self.ids["partners"]).unlink()
            seller = env["res.users"].browse(self.ids["seller"])
            seller_partner = seller.partner_id
            seller.unlink()
            seller_partner.unlink()
            company = env["res.company"].browse(company_id)
            company_partner = company.partner_id
            company.unlink()
            company_partner.unlink()

    def _env(self, cr):
        return api.Environment(cr, api.SUPERUSER_ID, {})

    def _run(self, cr):
        """Run the job in ``cr``; the companies it computed (not skipped)."""
        env = self._env(cr)
        engine = type(env["crm.analytics.engine"])
        run = engine._run
        computed = []

        def _run(engine_self, company, as_of):
            computed.append(company.id)
            return run(engine_self, company, as_of)

        with patch.object(engine, "_run", _run):
            env["crm.analytics.engine"]._cron_run()
        env.flush_all()
        return computed

    def _is_due(self, cr):
        return self.ids["company"] in self._env(cr)["crm.analytics.engine"]._companies_due().ids

    def _written(self, cr):
        """What the runs of today wrote for the company, as seen by ``cr``: its CLV
        model rows (states), its value rows, its history rows per customer and the
        retention activities of its customers."""
        company_id, today = self.ids["company"], self.ids["today"]
        cr.execute(SQL(
            """SELECT state FROM crm_clv_model WHERE company_id = %s AND as_of = %s
                ORDER BY id""", company_id, today))
        models = [row[0] for row in cr.fetchall()]
        cr.execute(SQL(
            "SELECT COUNT(*) FROM crm_customer_value WHERE company_id = %s", company_id))
        values = cr.fetchone()[0]
        cr.execute(SQL(
            """SELECT partner_id, COUNT(*) FROM crm_customer_value_history
                WHERE company_id = %s AND as_of = %s
                GROUP BY partner_id ORDER BY partner_id""", company_id, today))
        history = cr.fetchall()
        cr.execute(SQL(
            """SELECT res_id, user_id FROM mail_activity
                WHERE res_model = 'res.partner' AND res_id = ANY(%s) ORDER BY id""",
            self.ids["partners"]))
        return models, values, history, cr.fetchall()

    def _assert_computed_once(self, written):
        models, values, history, activities = written
        self.assertEqual(models, ["not_enough_data"], "one CLV model of the day, no failure")
        self.assertEqual(values, len(CUSTOMERS))
        # the month's snapshot: a row per customer, once
        self.assertEqual(history, [(partner_id, 1) for partner_id in self.ids["partners"]])
        # the customer slipping away is warned, once, to its salesperson
        self.assertEqual(activities, [(self.ids["partners"][0], self.ids["seller"])])

    def _assert_later_run_adds_nothing(self):
        """A later run the same day, in a transaction of its own, committed."""
        with self.registry.cursor() as cr_3:
            self.assertFalse(self._is_due(cr_3), "computed for today")
            before = self._written(cr_3)
            self.assertEqual(self._run(cr_3), [])
            cr_3.commit()
            self.assertEqual(self._written(cr_3), before)
        with self.registry.cursor() as cr:
            self.assertEqual(self._written(cr), before)

    def _race(self):
        """The host's cron begins the job's transaction (its snapshot) before it calls
        the job: a second run whose transaction began before the first one committed,
        and which asks for the lock after that, finds it free and the company still
        due. It must not compute the company again, nor record a failure: it either
        skips the company or fails as a whole (a serialization failure, rolled back by
        the host's cron, which runs it again later)."""
        with self.registry.cursor() as cr_1, self.registry.cursor() as cr_2:
            cr_2.execute("SET LOCAL lock_timeout = '2s'")
            # the second transaction has begun: the company is due in its snapshot
            self.assertTrue(self._is_due(cr_2))
            self.assertEqual(self._run(cr_1), [self.ids["company"]])
            written = self._written(cr_1)
            cr_1.commit()
            try:
                with mute_logger(ENGINE_LOGGER, "odoo.sql_db"):
                    self._run(cr_2)
            except SerializationFailure:
                cr_2.rollback()
            else:
                cr_2.commit()
        with self.registry.cursor() as cr:
            self.assertEqual(self._written(cr), written, "the second run changed nothing")
        self._assert_computed_once(written)
        self._assert_later_run_adds_nothing()

    def test_second_run_skips_the_company_the_first_holds(self):
        with self.registry.cursor() as cr_1, self.registry.cursor() as cr_2:
            self.assertTrue(self._is_due(cr_1))
            self.assertEqual(self._run(cr_1), [self.ids["company"]])
            self._assert_computed_once(self._written(cr_1))
            # the first run is not committed: the company is still due for the second,
            # whose run finds its lock taken and skips it
            cr_2.execute("SET LOCAL lock_timeout = '2s'")
            self.assertTrue(self._is_due(cr_2))
            self.assertEqual(self._run(cr_2), [], "skipped: not computed")
            self.assertEqual(self._written(cr_2), ([], 0, [], []), "wrote nothing")
            # the host's cron commits the skipping run, then the first one ends
            cr_2.commit()
            cr_1.commit()
        with self.registry.cursor() as cr:
            self._assert_computed_once(self._written(cr))
        self._assert_later_run_adds_nothing()

    def test_run_begun_before_the_first_committed(self):
        """The first computation of the company: the second run's stale snapshot has
        none of the value rows the first one inserted."""
        self._race()

    def test_run_begun_before_the_first_committed_scores_unchanged(self):
        """The day's first run of a month, after a run on the last day of the month
        before that computed the same scores (and warned the customer slipping away):
        neither run of today changes a value row; the first one takes the month's
        snapshot of the history."""
        previous = self.ids["today"].replace(day=1) - timedelta(days=1)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID,
                                  {"allowed_company_ids": [self.ids["company"]]})
            model = env["crm.analytics.engine"].run(as_of=previous)
            self.assertEqual(model.changed_count, len(CUSTOMERS))
            self.assertEqual(len(self._written(cr)[3]), 1, "warned last month")
        with self.registry.cursor() as cr:
            self.assertEqual(self._written(cr)[:3], ([], len(CUSTOMERS), []))
        self._race()
        with self.registry.cursor() as cr:
            cr.execute(SQL(
                "SELECT COALESCE(changed_count, 0) FROM crm_clv_model "
                "WHERE company_id = %s AND as_of = %s",
                self.ids["company"], self.ids["today"]))
            self.assertEqual(cr.fetchall(), [(0,)], "the scores of last month")
