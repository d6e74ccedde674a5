from datetime import date

from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.crm_analytics.tools import clv_fit

from .common import CrmAnalyticsCommon
from .test_clv_fit import CDNOW, cdnow_arrays

CALIBRATION_END = date(1997, 9, 30)


@tagged("post_install", "-at_install")
class TestCdnowOrders(CrmAnalyticsCommon):
    """The CDNOW sample imported as confirmed sale orders: the engine's fit is the one
    the fitting functions give (which reproduce the published estimates of Fader,
    Hardie and Lee, 2005, see test_clv_fit), for the purchase model it chose."""

    def _import_cdnow(self):
        """One customer per sample id, one confirmed order per line, in two statements
        of batched SQL (6,919 orders)."""
        lines = [line.split() for line in CDNOW.read_text().splitlines() if line.strip()]
        ids = sorted({int(line[1]) for line in lines})
        cr = self.env.cr
        cr.execute(SQL(
            """INSERT INTO res_partner (name, complete_name, active, is_company, type,
                                        autopost_bills, create_date, write_date)
               SELECT 'CDNOW ' || n, 'CDNOW ' || n, TRUE, TRUE, 'contact', 'ask',
                      NOW(), NOW()
                 FROM unnest(%s::integer[]) AS n
            RETURNING id""", ids))
        partner_of = dict(zip(ids, (row[0] for row in cr.fetchall()), strict=True))
        cr.execute(SQL("UPDATE res_partner SET commercial_partner_id = id WHERE id IN %s",
                       tuple(partner_of.values())))
        cr.execute(SQL(
            """INSERT INTO sale_order (name, partner_id, partner_invoice_id,
                                       partner_shipping_id, company_id, currency_id,
                                       date_order, state, amount_untaxed, amount_tax,
                                       amount_total, currency_rate, create_date, write_date)
               SELECT 'CDNOW/' || n, p, p, p, %(company)s, %(currency)s,
                      d::date + TIME '12:00', 'sale', a, 0, a, 1, NOW(), NOW()
                 FROM unnest(%(numbers)s::integer[], %(partners)s::integer[],
                             %(days)s::text[], %(amounts)s::numeric[]) AS o(n, p, d, a)""",
            company=self.company.id,
            currency=self.company.currency_id.id,
            numbers=list(range(len(lines))),
            partners=[partner_of[int(line[1])] for line in lines],
            days=[line[2] for line in lines],
            amounts=[float(line[4]) for line in lines],
        ))
        self.env.invalidate_all()
        return partner_of

    def test_published_parameters(self):
        if not CDNOW.is_file():
            self.skipTest(f"the CDNOW sample is not at {CDNOW} (the project's shared data)")
        partner_of = self._import_cdnow()
        model = self._run(CALIBRATION_END)
        self.assertEqual(model.state, "fitted", model.reason)
        self.assertEqual(model.customer_count, 2357)
        self.assertEqual(model.repeat_customer_count, 946)
        # the purchase model chosen by its predictions of the last 90 days, then
        # fitted on the whole history: the same as the fitting functions give
        x, t_x, age, _m_x = cdnow_arrays()
        fit = {"bgnbd": clv_fit.fit_bgnbd, "mbgnbd": clv_fit.fit_mbgnbd}[model.model_kind](
            x, t_x, age)
        for name, value in zip(("bgnbd_r", "bgnbd_alpha", "bgnbd_a", "bgnbd_b"),
                               fit.params, strict=True):
            self.assertAlmostEqual(model[name], value, delta=abs(value) * 1e-3, msg=name)
        self.assertAlmostEqual(model.log_likelihood, fit.log_likelihood, delta=0.1)
        # Gamma-Gamma, published to 2 decimals (relative 2%)
        for name, value in {"gg_p": 6.25, "gg_q": 3.74, "gg_gamma": 15.44}.items():
            self.assertLessEqual(abs(model[name] - value), value * 0.02,
                                 f"{name} = {model[name]:.4f}, published {value}")
        # every customer has its prediction, one-time buyers too: under the modified
        # BG/NBD they may have dropped out; their predicted value follows their spend
        values = self.env["crm.customer.value"].search(
            [("company_id", "=", self.company.id),
             ("partner_id", "in", list(partner_of.values()))])
        self.assertEqual(len(values), 2357)
        self.assertTrue(all(0 <= alive <= 1 for alive in values.mapped("probability_alive")))
        self.assertEqual(len(values.filtered("value_quadrant")), 2357)
        one_time = values.filtered(lambda value: value.repeat_purchase_days == 0)
        self.assertEqual(len(one_time), 2357 - 946)
        self.assertGreater(len(set(one_time.mapped("clv_predicted"))), 100,
                           "one-time buyers' predicted value depends on their own spend")
