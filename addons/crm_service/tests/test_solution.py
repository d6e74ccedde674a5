from odoo.exceptions import UserError
from odoo.tests import tagged

from ..models.crm_solution_search import document_words, query_words
from .common import CrmServiceCommon


@tagged("post_install", "-at_install")
class TestSolution(CrmServiceCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Solution = cls.env["crm.solution"]
        # the knowledge base of these tests only (not the demo data's)
        Solution.search([]).write({"is_published": False})
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


@tagged("post_install", "-at_install")
class TestSolutionRanking(CrmServiceCommon):
    """Suggestions weigh a word by how rare it is among the published solutions,
    leave out stop words, and show best first on the form and in the dialog."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Solution = cls.env["crm.solution"]
        Solution.search([]).write({"is_published": False})
        cls.fridge_zh, cls.aircon_zh = Solution.create([
            {"name": "冰箱门凹陷", "problem": "<p>客户收到的冰箱门有凹陷 外观受损。</p>",
             "solution": "<p>拍照后换货。</p>"},
            # used more, and shares with the fridge complaint only words that say nothing
            {"name": "空调不制冷", "problem": "<p>客户反映空调不制冷 我们上门检查。</p>",
             "solution": "<p>检查冷媒。</p>", "use_count": 40},
        ])
        cls.fridge_en, cls.aircon_en = Solution.create([
            {"name": "Fridge door dented", "problem": "<p>The fridge door has a dent.</p>"},
            {"name": "Air conditioner not cooling", "use_count": 40,
             "problem": "<p>The customer says the air conditioner is not cooling and the "
                        "room is hot with my family in it.</p>"},
        ])

    def _suggested(self, name, description=""):
        complaint = self._complaint(name=name, description=description, category_id=False)
        return complaint.suggested_solution_ids

    def test_chinese_is_cut_into_words(self):
        # a solution's words: jieba's, the shorter ones of a long word too
        self.assertEqual(document_words("洗碗机门关不上").split(),
                         ["洗碗", "洗碗机", "门", "关不上"])
        self.assertEqual(document_words("The fridge"), "The fridge", "no Chinese, as is")
        # a complaint's: its keywords, without the words that say nothing
        words = query_words("客户说冰箱门凹陷了 我们很着急").split()
        self.assertIn("冰箱", words)
        self.assertIn("凹陷", words)
        self.assertNotIn("我们", words)
        # English is left to PostgreSQL's dictionary (stems, stop words)
        self.env.cr.execute("SELECT tsvector_to_array(to_tsvector('english', %s))",
                            [query_words("my door is not dented")])
        lexemes = self.env.cr.fetchone()[0]
        self.assertEqual(sorted(lexemes), ["dent", "door"])

    def test_chinese_fridge_is_not_an_air_conditioner(self):
        suggested = self._suggested("冰箱门凹陷", "<p>客户说冰箱门凹陷了 我们很着急。</p>")
        self.assertEqual(suggested[:1], self.fridge_zh)
        self.assertNotIn(self.aircon_zh, suggested, "only 客户 and 我们 in common")
        self.assertEqual(self._suggested("空调不制冷")[:1], self.aircon_zh)

    def test_english_fridge_is_not_an_air_conditioner(self):
        suggested = self._suggested("My fridge door is dented", "<p>The door is not closing "
                                    "with the dent, and the customer is angry.</p>")
        self.assertEqual(suggested[:1], self.fridge_en)
        self.assertNotIn(self.aircon_en, suggested, "only the, not, customer, my in common")

    def test_rare_words_weigh_more(self):
        Solution = self.env["crm.solution"]
        common = Solution.create([
            {"name": f"Delivery issue {index}", "use_count": 50,
             "problem": "<p>Something about the delivery of the order.</p>"}
            for index in range(4)
        ])
        scratch = Solution.create({
            "name": "Scratched side panel", "problem": "<p>A scratch on the panel.</p>",
        })
        suggested = self._suggested("Scratch found on the side panel at delivery")
        self.assertEqual(suggested, scratch, "rare beats common, however used; and one "
                         "common word shared is no reason to suggest a solution")
        self.assertTrue(common)

    def test_category_counts_as_a_term(self):
        Solution = self.env["crm.solution"]
        same_category = Solution.create({
            "name": "Carrier inspection", "category_id": self.category.id,
            "problem": "<p>Book the carrier's inspection.</p>",
        })
        complaint = self._complaint(name="Fridge door dented")
        self.assertNotIn(same_category, complaint.suggested_solution_ids,
                         "its category alone is no reason")
        self.assertEqual(complaint.suggested_solution_ids[:1], self.fridge_en)
        # between two solutions matching alike, the complaint's category comes first
        twin = Solution.create({
            "name": "Fridge door dented", "category_id": self.category.id,
            "problem": "<p>The fridge door has a dent.</p>"})
        complaint.invalidate_recordset(["suggested_solution_ids"])
        self.assertEqual(complaint.suggested_solution_ids[:2], twin | self.fridge_en)

    def test_dialog_keeps_the_order_of_the_banner(self):
        Solution = self.env["crm.solution"]
        # the default order of solutions (most used first) would put them otherwise
        lid, shelf = Solution.create([
            {"name": "Fridge door lid broken", "use_count": 99},
            {"name": "Dented fridge shelf", "use_count": 50},
        ])
        complaint = self._complaint(name="Fridge door dented", category_id=False)
        suggested = complaint.suggested_solution_ids
        # by score, then the most used: not the knowledge base's default order (most
        # used first), which the dialog must not fall back to
        self.assertEqual(suggested.ids, [self.fridge_en.id, lid.id, shelf.id])
        action = complaint.action_apply_solution()
        dialog = Solution.with_context(**action["context"]).search_fetch(action["domain"], ["name"])
        self.assertEqual(dialog.ids, suggested.ids, "the list opens in the banner's order")
        by_name = Solution.with_context(**action["context"]).search(action["domain"], order="name")
        self.assertEqual(by_name.ids, suggested.sorted("name").ids, "a column sort still wins")

    def test_one_query_whatever_the_knowledge_base(self):
        complaints = self._complaint(name="Fridge door dented") | self._complaint(
            name="空调不制冷", category_id=False,
        )

        def queries():
            complaints.invalidate_recordset()
            self.env.flush_all()
            before = self.cr.sql_log_count
            complaints.mapped("suggested_solution_ids")
            return self.cr.sql_log_count - before

        queries()  # caches warmed up
        few = queries()
        self.env["crm.solution"].create([
            {"name": f"Fridge door case {index}", "problem": "<p>空调 fridge door</p>"}
            for index in range(20)
        ])
        self.assertEqual(queries(), few)
