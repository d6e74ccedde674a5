import io
import re
import unicodedata
from datetime import date, datetime

from odoo.tests import HttpCase, tagged
from odoo.tools.pdf import PdfFileReader

from .common import CrmAnalyticsCommon

# The CJK font maps some ideographs and the radicals of the same shape to one glyph, and
# the PDF's text map names the radical: NFKC folds the Kangxi radicals back, these are
# the ones it leaves (CJK radicals supplement) or folds to a traditional form.
RADICALS = str.maketrans({"⻛": "风", "戶": "户", "⻓": "长", "⻔": "门", "⻢": "马",
                          "⻋": "车", "⻅": "见", "⻉": "贝", "⻜": "飞"})


def pdf_text(text):
    """Text extracted from a PDF, comparable with the strings it was printed from."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).translate(RADICALS))


@tagged("post_install", "-at_install")
class TestCustomerValuePdf(CrmAnalyticsCommon, HttpCase):
    """The customer value report, rendered to PDF by wkhtmltopdf in Chinese. An
    HttpCase, as the host's own PDF tests: wkhtmltopdf loads the report's style sheets
    from this server, which must answer while the test waits for it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner = cls.env["res.partner"].create({
            "name": "华晨贸易有限公司", "is_company": True, "user_id": cls.salesman.id,
        })
        # the company's last computation (its model) and the customer's value, as the
        # engine writes them; recency and probability alive are computed when read
        cls.env["crm.clv.model"].sudo().create({
            "company_id": cls.company.id, "as_of": date(2025, 3, 31), "state": "fitted",
            "model_kind": "bgnbd", "bgnbd_r": 0.243, "bgnbd_alpha": 30.9,
            "bgnbd_a": 0.793, "bgnbd_b": 2.426,
        })
        cls.value = cls.env["crm.customer.value"].sudo().create({
            "partner_id": cls.partner.id, "company_id": cls.company.id,
            "first_purchase_date": date(2024, 3, 1), "last_purchase_date": date(2025, 3, 19),
            "repeat_purchase_days": 6, "repeat_span_days": 383,
            "rfm_frequency": 7, "rfm_monetary": 8800.0,
            "rfm_r_score": 5, "rfm_f_score": 4, "rfm_m_score": 3,
            "rfm_segment": "champions", "clv_historic": 8800.0, "clv_predicted": 4321.0,
            "value_quadrant": "grow", "churn_risk": "high",
            "churn_signals": {"overdue": 10.0}, "engine_customer_tier": "key",
            "engine_lifecycle_stage": "stability", "value_date": date(2025, 3, 31),
        })
        cls.history = cls.env["crm.customer.value.history"].create([{
            "partner_id": cls.partner.id, "company_id": cls.company.id,
            "run_date": datetime(2025, month, 28, 2, 0), "as_of": date(2025, month, 28),
            "clv_historic": value, "clv_predicted": value / 2,
        } for month, value in ((1, 2000.0), (2, 5000.0), (3, 8800.0))])
        cls.complaint = cls.env["crm.complaint"].create({
            "name": "包装破损", "partner_id": cls.partner.id, "company_id": cls.company.id,
        })
        cls.env["crm.call"].create({
            "partner_id": cls.partner.id, "phone": "+86 21 5555 0101",
            "direction": "inbound", "state": "done", "company_id": cls.company.id,
        })

    def _render(self, lang, html=False):
        report = self.env["ir.actions.report"].with_context(
            lang=lang, force_report_rendering=True)
        if html:
            content, __ = report._render_qweb_html(
                "crm_analytics.action_report_customer_value", self.partner.ids)
            return content.decode()
        content, kind = report._render_qweb_pdf(
            "crm_analytics.action_report_customer_value", self.partner.ids)
        self.assertEqual(kind, "pdf")
        self.assertTrue(content.startswith(b"%PDF"))
        reader = PdfFileReader(io.BytesIO(content))
        return pdf_text("".join(page.extract_text() for page in reader.pages))

    def test_report_is_bound_to_partners(self):
        action = self.env.ref("crm_analytics.action_report_customer_value")
        self.assertEqual((action.model, action.report_type, action.binding_model_id.model),
                         ("res.partner", "qweb-pdf", "res.partner"))

    def test_html_has_scores_chart_complaints_and_calls(self):
        html = self._render("en_US", html=True)
        for text in ("Customer Value Report", "华晨贸易有限公司", "Champions", "Keep and grow",
                     "Overdue: 12 days since the last order, usual gap 10 days", "包装破损",
                     "Inbound"):
            self.assertIn(text, html)
        # the chart: one polyline per value, three points each, drawn on the server
        self.assertEqual(html.count("<polyline"), 2)
        self.assertEqual(html.count("<circle"), 6)
        self.assertNotIn("<script", html.split("<body")[1])

    def test_pdf_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["crm_core", "crm_analytics"], ["zh_CN"], overwrite=True)
        text = self._render("zh_CN")
        for label in ("客户价值报告", "客户档案", "流失风险", "价值走势", "未结投诉", "最近通话",
                      "重点客户", "保持并发展",
                      f"存活概率{round(self.value.probability_alive * 100)}%",
                      "距上次下单12天"):
            self.assertIn(label, text)
        segment = dict(self.env["res.partner"].with_context(lang="zh_CN")
                       ._fields["rfm_segment"]._description_selection(
                           self.env(context={"lang": "zh_CN"})))["champions"]
        self.assertRegex(segment, r"[\u4e00-\u9fff]")
        self.assertIn(segment, text)
        self.assertIn("华晨贸易有限公司", text)
        for score in ("R5", "F4", "M3"):
            self.assertIn(score, text)
        self.assertIn("包装破损", text)
        self.assertNotIn("CustomerValueReport", text)
