from datetime import date, datetime

from lxml import etree

from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import CrmAnalyticsCommon

# Asia/Shanghai is UTC+8; the ORM stores naive UTC datetimes
# 07:00 on 1 March in Shanghai is 23:00 UTC on 28 February: March
FIRST_MORNING = datetime(2026, 2, 28, 23, 0)
# 23:30 on 31 March in Shanghai: March
LAST_NIGHT = datetime(2026, 3, 31, 15, 30)
# 23:30 on 28 February in Shanghai: February
EVE_BEFORE = datetime(2026, 2, 28, 15, 30)
# 00:30 on 1 April in Shanghai (still 31 March in UTC): April
DAY_AFTER = datetime(2026, 3, 31, 16, 30)


def months_between(start, end):
    return (end.year - start.year) * 12 + end.month - start.month


@tagged("post_install", "-at_install")
class TestReportsInCompanyTime(CrmAnalyticsCommon):
    """The tests' company is in Shanghai: its reports count its own months."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.tz = "Asia/Shanghai"
        # Ann first buys at 07:00 on 1 March and again at 23:30 on 31 March: a March
        # customer who bought in March only; Bo first buys at 23:30 on 28 February and
        # again at 00:30 on 1 April: a February customer back in April. (In UTC months:
        # both February customers, back in March.)
        cls.ann, cls.bo = cls._customers(2, prefix="Shanghai")
        moments = (FIRST_MORNING, LAST_NIGHT, EVE_BEFORE, DAY_AFTER)
        orders = cls._orders_on([
            (customer, 100.0, moment.date())
            for customer, moment in zip((cls.ann, cls.ann, cls.bo, cls.bo), moments,
                                        strict=True)
        ])
        for order, moment in zip(orders, moments, strict=True):
            order.date_order = moment
        Lead = cls.env["crm.lead"]
        cls.march_lead = Lead.create({"name": "Early bird", "company_id": cls.company.id})
        cls.april_lead = Lead.create({"name": "Night owl", "company_id": cls.company.id})
        cls.companyless_lead = Lead.create({"name": "Nobody's", "company_id": False})
        cls.env.flush_all()
        for lead, moment in ((cls.march_lead, FIRST_MORNING), (cls.april_lead, DAY_AFTER),
                             (cls.companyless_lead, FIRST_MORNING)):
            cls.env.cr.execute("UPDATE crm_lead SET create_date = %s WHERE id = %s",
                               (moment, lead.id))
        cls.env.invalidate_all()

    def _cohorts(self):
        """``{(cohort, months since the first purchase): (customers, active)}``"""
        self.env.flush_all()
        rows = self.env["crm.retention.report"]._read_group(
            [("company_id", "=", self.company.id)], ["cohort_date:month", "month_index"],
            ["customer_count:sum", "active_count:sum", "cohort_size:sum"])
        return {(cohort, index): (customers, active, size or 0)
                for cohort, index, customers, active, size in rows}

    def test_cohorts_are_company_months(self):
        cohorts = self._cohorts()
        march, february = date(2026, 3, 1), date(2026, 2, 1)
        # Ann: March cohort, not back in April
        self.assertEqual(cohorts[march, 0], (1, 1, 1))
        self.assertEqual(cohorts[march, 1], (1, 0, 0))
        # Bo: February cohort, not in March, back in April
        self.assertEqual(cohorts[february, 0], (1, 1, 1))
        self.assertEqual(cohorts[february, 1], (1, 0, 0))
        self.assertEqual(cohorts[february, 2], (1, 1, 0))
        self.assertEqual({cohort for cohort, _index in cohorts}, {february, march})

    def test_cohort_months_run_to_the_company_month(self):
        today = self.company._crm_today()
        cohorts = self._cohorts()
        self.assertEqual(max(index for cohort, index in cohorts if cohort == date(2026, 3, 1)),
                         months_between(date(2026, 3, 1), today))
        # the columns of the pivot are labelled as far as the months go
        labels = dict(self.env["crm.retention.report"]._fields["month_period"]
                      ._description_selection(self.env))
        self.assertIn(f"{months_between(date(2026, 2, 1), today):03d}", labels)

    def test_cohort_size_counts_each_customer_once(self):
        self.env.flush_all()
        by_cohort = dict(self.env["crm.retention.report"]._read_group(
            [("company_id", "=", self.company.id)], ["cohort_date:month"],
            ["cohort_size:sum"]))
        self.assertEqual(by_cohort, {date(2026, 2, 1): 1, date(2026, 3, 1): 1})
        [[total]] = self.env["crm.retention.report"]._read_group(
            [("company_id", "=", self.company.id)], [], ["cohort_size:sum"])
        self.assertEqual(total, 2)

    def test_funnel_leads_by_company_month(self):
        self.env.flush_all()
        rows = self.env["crm.funnel.report"].search([
            ("lead_id", "in", (self.march_lead | self.april_lead | self.companyless_lead).ids),
        ])
        self.assertEqual({row.lead_id: row.date for row in rows}, {
            self.march_lead: date(2026, 3, 1),
            self.april_lead: date(2026, 4, 1),
            # a lead without a company: in the time zone of the company reading
            self.companyless_lead: date(2026, 3, 1),
        })
        by_month = dict(self.env["crm.funnel.report"]._read_group(
            [("lead_id", "in", (self.march_lead | self.april_lead).ids)], ["date:month"],
            ["lead_count:sum"]))
        self.assertEqual(by_month, {date(2026, 3, 1): 1, date(2026, 4, 1): 1})


@tagged("post_install", "-at_install")
class TestRetentionReportDefaults(CrmAnalyticsCommon):
    """What the retention report shows when it opens."""

    def _views(self, lang=None):
        action = self.env.ref("crm_analytics.crm_retention_report_action")
        Report = self.env["crm.retention.report"].with_context(lang=lang)
        views = Report.get_views([(False, "pivot"), (False, "graph"),
                                  (action.search_view_id.id, "search")])
        return action, views, {kind: etree.fromstring(view["arch"])
                               for kind, view in views["views"].items()}

    def test_every_cohort_by_default(self):
        action, _views, arch = self._views()
        defaults = [key for key, value in safe_eval(action.context or "{}").items()
                    if key.startswith("search_default_") and value]
        self.assertEqual(defaults, [])
        self.assertFalse(safe_eval(action.domain or "[]"))
        # the last 12 cohorts stay a filter away
        self.assertTrue(arch["search"].xpath("//filter[@name='last_12_cohorts']"))

    def test_columns_say_months_since_first_purchase(self):
        _action, views, arch = self._views()
        [column] = arch["pivot"].xpath("//field[@type='col']")
        self.assertEqual(column.get("name"), "month_period")
        fields = views["models"]["crm.retention.report"]["fields"]
        self.assertEqual(fields["month_period"]["string"], "Months Since First Purchase")
        labels = dict(self.env["crm.retention.report"]._fields["month_period"]
                      ._description_selection(self.env))
        self.assertEqual(labels["000"], "Month 0 (First Purchase)")
        self.assertEqual(labels["001"], "Month 1")
        self.assertEqual(labels["012"], "Month 12")
        # the keys sort as the months: the pivot and the graph put them in order
        self.assertEqual(list(labels), sorted(labels))
        self.assertEqual(arch["graph"].xpath("//field[not(@type)]")[0].get("name"),
                         "month_period")
        [group] = arch["search"].xpath("//filter[@name='group_month_index']")
        self.assertEqual(safe_eval(group.get("context"))["group_by"], "month_period")

    def test_cohort_size_is_a_default_measure(self):
        _action, _views, arch = self._views()
        measures = [node.get("name") for node in arch["pivot"].xpath("//field[@type='measure']")]
        self.assertEqual(measures, ["cohort_size", "retention_rate"])
        Report = self.env["crm.retention.report"]
        self.assertEqual(Report._fields["cohort_size"].string, "Cohort Size")
        self.assertEqual(Report._fields["cohort_size"].aggregator, "sum")
