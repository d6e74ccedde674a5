from markupsafe import Markup, escape

from odoo import api, models
from odoo.exceptions import AccessError
from odoo.tools.misc import formatLang

# size of the value chart, in SVG units (pixels at 96 dpi)
CHART_WIDTH = 640
CHART_HEIGHT = 220
CHART_MARGIN = {"left": 70, "right": 16, "top": 12, "bottom": 34}
HISTORIC_COLOR = "#2563eb"
PREDICTED_COLOR = "#f59e0b"
# system fonts: wkhtmltopdf keeps their text in the PDF
CHART_FONTS = "DejaVu Sans, Noto Sans CJK SC, sans-serif"
# the open complaints and recent calls shown
LIST_LIMIT = 10


class ReportCustomerValue(models.AbstractModel):
    """Values of the printable customer value report of the current company: the
    customer's value (``crm.customer.value``, under its rules: a salesperson prints
    their own and their team's customers), its history as an inline SVG chart (drawn
    on the server: the PDF renderer runs no script), and its open complaints and recent
    calls, as far as the printing user may read them. A customer never scored prints
    with its profile and "not computed yet"."""

    _name = "report.crm_analytics.report_customer_value"
    _description = "Customer Value Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        partners = self.env["res.partner"].browse(docids)
        partners.check_access("read")
        self._check_value_access(partners)
        return {
            "doc_ids": partners.ids,
            "doc_model": "res.partner",
            "docs": partners,
            "value_company": self.env.company,
            "value_chart": {p.id: self._value_chart(p) for p in partners},
            "open_complaints": self._open_complaints(partners),
            "recent_calls": self._recent_calls(partners),
        }

    def _check_value_access(self, partners):
        """Refuse to print a customer value the user may not read (the rules of
        ``crm.customer.value``): what the Value tab hides, the PDF does not show."""
        Value = self.env["crm.customer.value"]
        scored = Value.sudo().search([("company_id", "=", self.env.company.id),
                                      ("partner_id", "in", partners.ids),
                                      ("value_date", "!=", False)])
        if not scored:
            return
        readable = Value.search([("id", "in", scored.ids)]) if Value.has_access("read") \
            else Value
        hidden = scored - readable
        if hidden:
            raise AccessError(self.env._(
                "You may not read the customer value of %(customers)s: salespeople read "
                "the value of their own and their team's customers.",
                customers=", ".join(hidden.sudo().partner_id.mapped("display_name"))))

    def _value_history(self, partner):
        History = self.env["crm.customer.value.history"]
        if not History.has_access("read"):
            return History
        # one point per analysis date: the last run of the day
        history = History.search(
            [("partner_id", "=", partner.id), ("company_id", "=", self.env.company.id)],
            order="as_of, run_date, id")
        points = {}
        for row in history:
            points[row.as_of] = row
        return History.browse([row.id for row in points.values()])

    def _value_chart(self, partner):
        """The historic and predicted value over the analyses, as SVG markup, or ``False``
        without history."""
        history = self._value_history(partner)
        if not history:
            return False
        left, right = CHART_MARGIN["left"], CHART_WIDTH - CHART_MARGIN["right"]
        top, bottom = CHART_MARGIN["top"], CHART_HEIGHT - CHART_MARGIN["bottom"]
        values = history.mapped("clv_historic") + history.mapped("clv_predicted")
        high = max(max(values), 0.0) or 1.0
        count = len(history)

        def x_of(index):
            if count == 1:
                return (left + right) / 2
            return left + (right - left) * index / (count - 1)

        def y_of(value):
            return bottom - (bottom - top) * max(value, 0.0) / high

        parts = [Markup(
            '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
            'viewBox="0 0 %d %d" font-family="%s" font-size="11">'
        ) % (CHART_WIDTH, CHART_HEIGHT, CHART_WIDTH, CHART_HEIGHT, CHART_FONTS)]
        # horizontal grid with the amounts
        for step in range(5):
            value = high * step / 4
            y = y_of(value)
            parts.append(Markup(
                '<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e5e7eb"/>'
                '<text x="%.1f" y="%.1f" text-anchor="end" fill="#6b7280">%s</text>'
            ) % (left, y, right, y, left - 6, y + 4,
                 escape(formatLang(self.env, value, digits=0))))
        parts.append(Markup(
            '<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#9ca3af"/>'
        ) % (left, bottom, right, bottom))
        # dates: the first, the last and a few between
        label_every = max(1, -(-count // 6))
        for index, row in enumerate(history):
            if index % label_every and index != count - 1:
                continue
            parts.append(Markup(
                '<text x="%.1f" y="%.1f" text-anchor="middle" fill="#6b7280">%s</text>'
            ) % (x_of(index), bottom + 16, escape(row.as_of.strftime("%Y-%m-%d"))))
        for fname, color, dash in (("clv_predicted", PREDICTED_COLOR, "6,4"),
                                   ("clv_historic", HISTORIC_COLOR, "")):
            points = " ".join(
                f"{x_of(index):.1f},{y_of(row[fname]):.1f}"
                for index, row in enumerate(history)
            )
            parts.append(Markup(
                '<polyline points="%s" fill="none" stroke="%s" stroke-width="2.5" '
                'stroke-dasharray="%s"/>'
            ) % (points, color, dash or "none"))
            for index, row in enumerate(history):
                parts.append(Markup(
                    '<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>'
                ) % (x_of(index), y_of(row[fname]), color))
        parts.append(Markup("</svg>"))
        return Markup("").join(parts)

    def _open_complaints(self, partners):
        Complaint = self.env["crm.complaint"]
        if not Complaint.has_access("read"):
            return {partner.id: Complaint for partner in partners}
        return {
            partner.id: Complaint.search([
                ("commercial_partner_id", "=", partner.commercial_partner_id.id),
                ("stage_id.is_closed", "=", False),
            ], limit=LIST_LIMIT)
            for partner in partners
        }

    def _recent_calls(self, partners):
        Call = self.env["crm.call"]
        if not Call.has_access("read"):
            return {partner.id: Call for partner in partners}
        return {
            partner.id: Call.search([
                ("commercial_partner_id", "=", partner.commercial_partner_id.id),
            ], limit=LIST_LIMIT)
            for partner in partners
        }
