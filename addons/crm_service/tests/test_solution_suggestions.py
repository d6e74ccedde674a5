import json
from pathlib import Path

from odoo.tests import TransactionCase, tagged

DATA = Path(__file__).parent / "data" / "solution_suggestions.json"
# the aim for the first suggestion of a labelled complaint
MIN_PRECISION = 0.8


@tagged("post_install", "-at_install")
class TestSolutionSuggestions(TransactionCase):
    """The suggestions on the labelled complaints of data/solution_suggestions.json,
    20 in English and 20 in Chinese: the first suggestion is the solution that fits
    at least MIN_PRECISION of the time, and unrelated complaints get none."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.data = json.loads(DATA.read_text(encoding="utf-8"))
        cls.env["res.lang"]._activate_lang("zh_CN")
        # the knowledge base of the labelled set only
        cls.env["crm.solution"].search([]).write({"is_published": False})
        cls.categories = {
            key: cls.env["crm.complaint.category"].create({"name": f"Labelled {name}"})
            for key, name in cls.data["categories"].items()
        }
        cls.solutions = {}
        for item in cls.data["solutions"]:
            solution = cls.env["crm.solution"].create({
                "name": item["name"], "problem": f"<p>{item['problem']}</p>",
                "category_id": cls.categories[item["category"]].id,
            })
            solution.update_field_translations("name", {"zh_CN": item["name_zh"]})
            # the problem is translated term by term, as in the translation dialog
            solution.update_field_translations(
                "problem", {"zh_CN": {item["problem"]: item["problem_zh"]}})
            cls.solutions[item["key"]] = solution
        cls.partner = cls.env["res.partner"].create({"name": "Labelled Customer"})

    def _first_suggestion(self, item):
        complaint = self.env["crm.complaint"].new({
            "name": item["subject"], "description": f"<p>{item['description']}</p>",
            "partner_id": self.partner.id,
            "category_id": self.categories[item["category"]].id if item.get("category")
            else False,
        })
        return complaint.suggested_solution_ids[:1]._origin

    def test_precision_of_the_first_suggestion(self):
        by_lang = {}
        misses = []
        for item in self.data["complaints"]:
            expected = self.solutions[item["expected"]]
            first = self._first_suggestion(item)
            hits, total = by_lang.get(item["lang"], (0, 0))
            by_lang[item["lang"]] = (hits + (first == expected), total + 1)
            if first != expected:
                misses.append(f"{item['subject']}: {first.name or 'nothing'}")
        hits = sum(hit for hit, _total in by_lang.values())
        total = sum(total for _hit, total in by_lang.values())
        self.assertEqual(by_lang["en"][1], 20)
        self.assertEqual(by_lang["zh"][1], 20)
        for lang, (lang_hits, lang_total) in by_lang.items():
            self.assertGreaterEqual(lang_hits / lang_total, MIN_PRECISION,
                                    f"{lang}: {lang_hits}/{lang_total}; missed: {misses}")
        self.assertGreaterEqual(hits / total, MIN_PRECISION, misses)

    def test_unrelated_complaints_get_no_suggestion(self):
        for item in self.data["unrelated"]:
            first = self._first_suggestion(item)
            self.assertFalse(first, f"{item['subject']} was offered {first.name}")

    def test_the_dishwasher_is_not_offered_the_air_conditioner(self):
        item = self.data["complaints"][0]
        suggested = self.env["crm.complaint"].new({
            "name": item["subject"], "description": f"<p>{item['description']}</p>",
            "category_id": self.categories["quality"].id,
        }).suggested_solution_ids._origin
        self.assertEqual(suggested[:1], self.solutions["dishwasher_door"])
        self.assertNotIn(self.solutions["ac_noise"], suggested)
        self.assertNotIn(self.solutions["late"], suggested)
