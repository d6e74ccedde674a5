import json
import re

from odoo.tests import tagged

from .common import CrmAnalyticsCommon

PIVOT_VALUE = re.compile(r'PIVOT\.VALUE\((\d+),"(\w+)"((?:,"#?\w+",[^,)]+)*)\)')
PIVOT_HEADER = re.compile(r'PIVOT\.HEADER\((\d+)((?:,"#?\w+",[^,)]+)*)\)')
GROUPBY_ARG = re.compile(r',"#?(\w+)",')


@tagged("post_install", "-at_install")
class TestCrmDashboard(CrmAnalyticsCommon):
    """The CRM dashboard loads the reports it shows: every model, measure, group-by
    and menu it names exists (a renamed field breaks this test, not the dashboard in
    front of a user), and every pivot and chart can be read."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dashboard = cls.env.ref("crm_analytics.crm_analytics_dashboard")
        cls.data = json.loads(cls.dashboard.spreadsheet_data)

    def assertField(self, model, fname, where):
        self.assertIn(model, self.env, f"{where}: no model {model}")
        fname = fname.split(":")[0]
        self.assertIn(fname, self.env[model]._fields, f"{where}: no field {model}.{fname}")

    def test_dashboard_published_for_sales(self):
        self.assertEqual(self.dashboard.name, "CRM")
        self.assertTrue(self.dashboard.is_published)
        self.assertEqual(self.dashboard.dashboard_group_id,
                         self.env.ref("spreadsheet_dashboard.spreadsheet_dashboard_group_sales"))
        self.assertIn(self.env.ref("sales_team.group_sale_manager"), self.dashboard.group_ids)
        action = self.env.ref("crm_analytics.crm_analytics_dashboard_action")
        self.assertEqual(action.params, {"dashboard_id": self.dashboard.id})
        # the dashboard as the web client loads it
        loaded = self.dashboard.get_readonly_dashboard()
        self.assertEqual(loaded["snapshot"]["pivots"].keys(), self.data["pivots"].keys())

    def test_pivots_name_existing_fields_and_read(self):
        self.assertEqual(
            {pivot["model"] for pivot in self.data["pivots"].values()},
            {"crm.funnel.report", "crm.customer.value.report", "crm.service.report",
             "crm.campaign.report"})
        for pivot_id, pivot in self.data["pivots"].items():
            model = pivot["model"]
            groupby = [dim["fieldName"] for dim in pivot["rows"] + pivot["columns"]]
            measures = [measure["fieldName"] for measure in pivot["measures"]]
            for fname in groupby + measures:
                self.assertField(model, fname, f"pivot {pivot_id}")
            Report = self.env[model]
            Report._read_group(pivot["domain"], groupby, [
                f"{fname}:{Report._fields[fname].aggregator}" for fname in measures])

    def test_sales_administrator_reads_every_figure(self):
        """The dashboard's audience reads all its data, service figures included,
        without being a service user."""
        self.assertFalse(self.manager.has_group("crm_service.group_crm_service_user"))
        for pivot in self.data["pivots"].values():
            Report = self.env[pivot["model"]].with_user(self.manager)
            measures = [measure["fieldName"] for measure in pivot["measures"]]
            Report._read_group([], [dim["fieldName"] for dim in pivot["rows"]], [
                f"{fname}:{Report._fields[fname].aggregator}" for fname in measures])

    def test_formulas_name_pivot_measures(self):
        pivots = self.data["pivots"]
        formulas = [
            cell["content"]
            for sheet in self.data["sheets"] for cell in sheet["cells"].values()
            if cell.get("content", "").startswith("=")
        ]
        seen = 0
        for formula in formulas:
            for pivot_id, measure, args in PIVOT_VALUE.findall(formula):
                seen += 1
                pivot = pivots[pivot_id]
                self.assertIn(measure, [m["fieldName"] for m in pivot["measures"]], formula)
                self.assertField(pivot["model"], measure, formula)
                for fname in GROUPBY_ARG.findall(args + ","):
                    self.assertField(pivot["model"], fname, formula)
            for pivot_id, args in PIVOT_HEADER.findall(formula):
                for fname in GROUPBY_ARG.findall(args + ","):
                    self.assertField(pivots[pivot_id]["model"], fname, formula)
        self.assertGreater(seen, 20)

    def test_charts_name_existing_fields_and_menus(self):
        charts = [
            figure["data"]
            for sheet in self.data["sheets"] for figure in sheet["figures"]
            if figure["tag"] == "chart" and "metaData" in figure["data"]
        ]
        self.assertEqual(len(charts), 6)
        for chart in charts:
            meta = chart["metaData"]
            self.assertField(meta["resModel"], meta["measure"], chart["title"]["text"])
            for fname in meta["groupBy"]:
                self.assertField(meta["resModel"], fname, chart["title"]["text"])
            Report = self.env[meta["resModel"]]
            Report._read_group([], meta["groupBy"], [
                f"{meta['measure']}:{Report._fields[meta['measure']].aggregator}"])
        # the scorecards show cells of the data sheet
        data_sheet = next(sheet for sheet in self.data["sheets"] if sheet["name"] == "Data")
        for sheet in self.data["sheets"]:
            for figure in sheet["figures"]:
                if figure["data"]["type"] == "scorecard":
                    cell = figure["data"]["keyValue"].split("!")[1]
                    self.assertIn(cell, data_sheet["cells"])
        for xmlid in self.data["chartOdooMenusReferences"].values():
            self.assertTrue(self.env.ref(xmlid, raise_if_not_found=False), xmlid)
