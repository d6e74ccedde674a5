from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, tagged

from odoo.addons.crm_core.models.crm_protected_fields_mixin import SUITE_MODULES, TEXT_TYPES


@tagged("post_install", "-at_install")
class TestNoControlCharacters(TransactionCase):
    """Every text field of the suite refuses control characters, through one mechanism
    (the protected-fields mixin), on every model of the suite (crm_analytics installs
    them all)."""

    def _suite_text_fields(self):
        for name in list(self.env.registry):
            Model = self.env[name]
            if Model._abstract or Model._transient or not Model._auto:
                continue
            fields = [
                fname for fname, field in Model._fields.items()
                if field.type in TEXT_TYPES and field.store
                and SUITE_MODULES.intersection(field._modules or ())
            ]
            if fields:
                yield Model, fields

    def test_every_suite_text_field_is_checked(self):
        unchecked = []
        for Model, fields in self._suite_text_fields():
            if not hasattr(Model, "_crm_check_texts"):
                unchecked.append(Model._name)
                continue
            for fname in fields:
                for bad in ("a\x00b", "bell\x07", "\x1b[31m"):
                    with self.assertRaises(ValidationError, msg=f"{Model._name}.{fname}"):
                        Model._crm_check_texts({fname: bad})
                # text keeps its tabs and line breaks
                Model._crm_check_texts({fname: "line one\n\tline two\r\n"})
        self.assertFalse(unchecked, "suite models whose texts are not checked")
