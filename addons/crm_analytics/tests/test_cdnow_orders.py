from datetime import date

import numpy as np

from odoo.tests import tagged
from odoo.tools import SQL

from .common import CrmAnalyticsCommon
from .test_clv_fit import CDNOW

CALIBRATION_END = date(1997, 9, 30)


@tagged("post_install", "-at_install")
class TestCdnowOrders(CrmAnalyticsCommon):
    """The CDNOW sample imported as confirmed sale orders: the engine's fit reproduces
    the published estimates of Fader, Hardie and Lee (2005)."""

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
        published = {
            "bgnbd_r": 0.243, "bgnbd_alpha": 4.414 * 7, "bgnbd_a": 0.793,
            "bgnbd_b": 2.426, "gg_p": 6.25, "gg_q": 3.74, "gg_gamma": 15.44,
        }
        for name, value in published.items():
            # BG/NBD published to 3 decimals, Gamma-Gamma to 2 (relative 1% / 2%)
            share = 0.01 if name.startswith("bgnbd") else 0.02
            self.assertLessEqual(abs(model[name] - value), value * share,
                                 f"{name} = {model[name]:.4f}, published {value}")
        # days against weeks: each repeat transaction's density differs by the factor 7
        self.env.cr.execute("SELECT SUM(x) FROM crm_analytics_customer")
        [repeat_transactions] = self.env.cr.fetchone()
        self.assertAlmostEqual(model.log_likelihood + repeat_transactions * np.log(7),
                               -9582.4, delta=0.1)
        # every customer has its prediction
        partners = self.env["res.partner"].browse(partner_of.values())
        self.assertTrue(all(0 <= alive <= 1 for alive in partners.mapped("probability_alive")))
        # nobody drops out before a repeat purchase under BG/NBD
        self.assertEqual(len(partners.filtered(lambda p: p.probability_alive == 1.0)),
                         2357 - 946)
        self.assertEqual(len(partners.filtered("value_quadrant")), 2357)
