from odoo.tests import TransactionCase, tagged

from odoo.addons.crm_core.models.crm_protected_fields_mixin import SUITE_MODULES


@tagged("post_install", "-at_install")
class TestEmptyListsSayWhatToDo(TransactionCase):
    """Every window action of the suite that opens a list or cards (not a dialog)
    carries the host's help, shown when the list is empty, in English and Chinese."""

    def test_every_action_has_help_in_both_languages(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search(
            [("name", "in", sorted(SUITE_MODULES))])._update_translations(["zh_CN"])
        data = self.env["ir.model.data"].search([
            ("module", "in", sorted(SUITE_MODULES)), ("model", "=", "ir.actions.act_window")])
        actions = self.env["ir.actions.act_window"].browse(data.mapped("res_id"))
        checked, missing, untranslated = 0, [], []
        for action in actions:
            modes = set((action.view_mode or "").split(","))
            if action.target == "new" or not modes & {"list", "kanban"}:
                continue
            checked += 1
            english = action.with_context(lang="en_US").help or ""
            chinese = action.with_context(lang="zh_CN").help or ""
            if not english.strip():
                missing.append(action.xml_id)
            elif chinese == english:
                untranslated.append(action.xml_id)
        self.assertGreater(checked, 20)
        self.assertFalse(missing, "lists that say nothing when they are empty")
        self.assertFalse(untranslated, "help without its Chinese")
