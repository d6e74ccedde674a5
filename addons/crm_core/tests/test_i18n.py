import re
from pathlib import Path

import polib

from odoo.modules.module import get_module_path
from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import PoFileReader, TranslationModuleReader


@tagged("post_install", "-at_install")
class TestTranslations(TransactionCase):
    """Every user-facing term of every addon of the suite has a Chinese translation."""

    def _suite_modules(self):
        suite_dir = Path(get_module_path("crm_core")).parent
        installed = self.env["ir.module.module"].search([("state", "=", "installed")])
        return [
            module.name for module in installed
            if Path(get_module_path(module.name) or "/").parent == suite_dir
        ]

    def test_zh_cn_is_complete(self):
        modules = self._suite_modules()
        self.assertIn("crm_core", modules)
        problems = {}
        for module in modules:
            po_path = Path(get_module_path(module)) / "i18n" / "zh_CN.po"
            if not po_path.is_file():
                problems[module] = "no i18n/zh_CN.po"
                continue
            # read as the server loads it: merged with the addon's template (.pot),
            # whose terms are the only ones kept
            translated = {row["src"] for row in PoFileReader(str(po_path)) if row["value"]}
            terms = {
                source for term_module, _type, _name, _res_id, source, _value, _comments
                in TranslationModuleReader(self.env.cr, modules=[module])
                if term_module == module and source
            }
            if missing := sorted(terms - translated):
                problems[module] = missing
        self.assertFalse(problems, "terms without a zh_CN translation")

    def test_glossary_terms_everywhere(self):
        """The README's glossary gives one Chinese term per concept: every addon uses it."""
        readme = Path(get_module_path("crm_core")).parent.parent / "README.md"
        if not readme.is_file():
            self.skipTest("the addons are used outside the project's repository")
        text = readme.read_text()
        table = text.split("## Glossary", 1)[1].split("\n## ", 1)[0]
        # the rows under the table's header and separator line
        rows = table.split("| --- |", 1)[1].split("\n", 1)[1]
        glossary = dict(re.findall(r"^\| ([A-Z][\w ]+?) \| ([^|]+?) \| [^|]+\|$", rows, re.M))
        self.assertNotIn("English", glossary, "the header is not a term")
        self.assertEqual(glossary.get("Key customer"), "重点客户")
        problems = []
        for module in self._suite_modules():
            po_path = Path(get_module_path(module)) / "i18n" / "zh_CN.po"
            for entry in polib.pofile(str(po_path)):
                term = glossary.get(entry.msgid)
                if term and entry.msgstr != term:
                    problems.append((module, entry.msgid, entry.msgstr))
                # the glossary's term also inside longer texts, e.g. "key customers"
                if "关键客户" in entry.msgstr:
                    problems.append((module, entry.msgid, entry.msgstr))
        self.assertFalse(problems, "translations that leave the glossary")
