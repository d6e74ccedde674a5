from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import CrmServiceCommon


@tagged("post_install", "-at_install")
class TestSolution(CrmServiceCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Solution = cls.env["crm.solution"]
        cls.dent = Solution.create({
            "name": "Dented appliance on delivery",
            "problem": "<p>The fridge or washing machine arrives with a dent.</p>",
            "solution": "<p>Offer an exchange and book the carrier's inspection.</p>",
            "category_id": cls.category.id,
        })
        cls.noise = Solution.create({
            "name": "Noisy compressor",
            "problem": "<p>The compressor hums loudly at night.</p>",
            "solution": "<p>Level the feet, then send a technician.</p>",
            "category_id": cls.category_quality.id,
        })
        cls.draft = Solution.create({
            "name": "Dent repair kit (draft)", "category_id": cls.category.id,
            "is_published": False,
        })

    def test_suggestions_by_category_and_words(self):
        complaint = self._complaint(name="Fridge arrived with a dent", category_id=False)
        self.assertEqual(complaint.suggested_solution_ids[:1], self.dent, "words of the subject")
        self.assertNotIn(self.draft, complaint.suggested_solution_ids, "unpublished")
        complaint.write({"name": "It hums", "category_id": self.category_quality.id,
                         "description": "<p>the compressor is loud</p>"})
        self.assertEqual(complaint.suggested_solution_ids[:1], self.noise)

    def test_suggestions_for_chinese_text(self):
        noise_zh = self.env["crm.solution"].create({
            "name": "空调外机噪音大", "problem": "<p>空调外机运行时噪音大 影响休息</p>",
            "solution": "<p>上门检查减震垫并紧固外机支架。</p>", "is_published": True,
        })
        complaint = self._complaint(name="空调噪音很大", category_id=False)
        self.assertEqual(complaint.suggested_solution_ids[:1], noise_zh)

    def test_apply_solution_records_and_counts(self):
        complaint = self._complaint(name="Fridge arrived with a dent")
        action = complaint.action_apply_solution()
        self.assertIn(self.dent.id, action["domain"][0][2])
        self.dent.with_user(self.agent).with_context(crm_complaint_id=complaint.id).action_apply()
        self.assertEqual(complaint.solution_ids, self.dent)
        self.assertEqual(self.dent.use_count, 1)
        self.assertIn("exchange", complaint.resolution)
        self.assertNotIn(self.dent, complaint.suggested_solution_ids, "already applied")
        with self.assertRaises(UserError):
            complaint._apply_solution(self.dent)
        self.assertEqual(self.dent.use_count, 1)
