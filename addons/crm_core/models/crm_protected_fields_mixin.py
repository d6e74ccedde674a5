import math
import re

from odoo import api, models
from odoo.exceptions import AccessError, ValidationError

# PostgreSQL's integer column; a float or an amount beyond FLOAT_LIMIT is a typing
# mistake or an attack, and overflows the currency rounding long before the column.
INTEGER_LIMIT = 2**31 - 1
FLOAT_LIMIT = 1e15
NUMBER_TYPES = ("integer", "float", "monetary")
TEXT_TYPES = ("char", "text", "html")
# control characters no text of the suite holds (tab, line feed and carriage return
# are text): PostgreSQL refuses NUL, and the others are invisible mistakes or attacks
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SUITE_MODULES = frozenset(
    ("crm_core", "crm_service", "crm_marketing", "crm_callcenter", "crm_analytics")
)


class CrmProtectedFieldsMixin(models.AbstractModel):
    """What a client may not write, checked on the server for every client.

    ``readonly`` in a view or on a field is a hint to the web client only: the ORM's
    ``create`` and ``write`` take any value an RPC client sends. A model of the
    suite lists here

    - the fields the server measures or derives (SLA figures, survey answers,
      references, counters, stored computes, tracking dates): only the suite's own
      code writes them, in a superuser environment (``sudo()``), which no RPC
      client reaches, whatever its context;
    - the fields a manager may correct by hand (tracked), and nobody else;

    and every number sent is checked against its column and sane bounds, so that
    a wrong value gives a clear error instead of an overflow or a database error.
    """

    _name = "crm.protected.fields.mixin"
    _description = "Fields Only the Server or a Manager Sets"

    @api.model
    def _crm_server_fields(self):
        """Names of the fields only the suite's code writes (in ``sudo()``)."""
        return ()

    @api.model
    def _crm_manager_fields(self):
        """Names of the fields only managers (``_crm_manager_group``) change."""
        return ()

    @api.model
    def _crm_manager_group(self):
        """XML id of the group whose members may change the manager fields."""
        return "base.group_system"

    @api.model
    def _crm_number_fields(self):
        """Names of the number fields checked against their bounds: the suite's own
        (the host's numbers on the host's models are the host's business)."""
        return [
            name for name, field in self._fields.items()
            if field.type in NUMBER_TYPES and SUITE_MODULES.intersection(field._modules or ())
        ]

    @api.model
    def _crm_text_fields(self):
        """Names of the text fields checked for control characters: the suite's own."""
        return [
            name for name, field in self._fields.items()
            if field.type in TEXT_TYPES and field.store
            and SUITE_MODULES.intersection(field._modules or ())
        ]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._crm_check_numbers(vals)
            self._crm_check_texts(vals)
        if not self.env.su:
            self._crm_check_protected(self._crm_set_fields(vals_list))
        return super().create(self._crm_add_server_values(vals_list))

    @api.model
    def _crm_add_server_values(self, vals_list):
        """Add to ``vals_list`` the server fields the server sets at creation (a
        reference from a sequence...), once the client's values were checked.

        :return: ``vals_list``
        """
        return vals_list

    def write(self, vals):
        self._crm_check_numbers(vals)
        self._crm_check_texts(vals)
        if not self.env.su:
            self._crm_check_protected(self._crm_changed_fields(vals))
        return super().write(vals)

    def copy_data(self, default=None):
        """A copy measures anew what the server measures, and takes the values only
        managers set only when a manager copies: those fields are left out of the
        copied values (their defaults and computations apply), unless ``default``
        names them, which the checks of ``create`` then judge."""
        vals_list = super().copy_data(default=default)
        left_out = set(self._crm_server_fields())
        if not self.env.su and not self.env.user.has_group(self._crm_manager_group()):
            left_out |= set(self._crm_manager_fields())
        left_out -= set(default or ())
        for vals in vals_list:
            for name in left_out.intersection(vals):
                del vals[name]
        return vals_list

    def _crm_set_fields(self, vals_list):
        """Names of protected fields that ``vals_list`` sets to other than their default."""
        protected = set(self._crm_server_fields()) | set(self._crm_manager_fields())
        # an empty value sets nothing
        names = {name for vals in vals_list for name in protected.intersection(vals)
                 if vals[name]}
        if not names:
            return names
        defaults = self.default_get(list(names))
        new = self.browse()

        def differs(name, value):
            field = self._fields[name]
            if field.type in ("one2many", "many2many"):
                return bool(value)
            return (field.convert_to_cache(value, new, validate=False) or False) != (
                field.convert_to_cache(defaults.get(name), new, validate=False) or False
            )

        return {
            name for vals in vals_list for name in names.intersection(vals)
            if vals[name] and differs(name, vals[name])
        }

    def _crm_changed_fields(self, vals, names=None):
        """Names of ``vals`` whose value differs from the stored one on some record.

        Clients send back unchanged values (a form saved with a field shown
        read-only, an import of the same data): those are no change.

        :param names: the fields to look at (default: the protected ones)
        """
        protected = set(names) if names is not None else (
            set(self._crm_server_fields()) | set(self._crm_manager_fields())
        )
        changed = set()
        for name in protected.intersection(vals):
            field = self._fields[name]
            if field.type in ("one2many", "many2many"):
                changed.add(name)
                continue
            for record in self:
                new = field.convert_to_cache(vals[name], record, validate=False)
                old = field.convert_to_cache(record[name], record, validate=False)
                if (new or False) != (old or False):
                    changed.add(name)
                    break
        return changed

    def _crm_model_label(self):
        """The model's name in the user's language (``_description`` is English)."""
        return self.env["ir.model"].sudo()._get(self._name).name or self._description

    def _crm_check_protected(self, names):
        """Refuse the server fields, and the manager fields to non-managers."""
        server = set(self._crm_server_fields()).intersection(names)
        if server:
            raise AccessError(self.env._(
                "%(model)s: the system measures or computes %(fields)s; they cannot be "
                "set by hand.",
                fields=self._crm_field_labels(server),
                model=self._crm_model_label(),
            ))
        manager = set(self._crm_manager_fields()).intersection(names)
        if manager and not self.env.user.has_group(self._crm_manager_group()):
            group = self.env.ref(self._crm_manager_group(), raise_if_not_found=False)
            raise AccessError(self.env._(
                "Only %(group)s can change %(fields)s of %(model)s.",
                group=group.sudo().full_name if group else self._crm_manager_group(),
                fields=self._crm_field_labels(manager),
                model=self._crm_model_label(),
            ))

    def _crm_check_numbers(self, vals):
        """Numbers within their column and sane bounds, before any rounding."""
        for name in set(self._crm_number_fields()).intersection(vals):
            value = vals[name]
            if value is None or value is False:
                continue
            field = self._fields[name]
            limit = INTEGER_LIMIT if field.type == "integer" else FLOAT_LIMIT
            if isinstance(value, str):
                try:
                    value = float(value)
                except ValueError:
                    value = None
            if not isinstance(value, int | float):
                raise ValidationError(self.env._(
                    "%(field)s must be a number, not %(value)s.",
                    field=self._crm_field_labels([name]), value=repr(vals[name]),
                ))
            if not math.isfinite(value) or abs(value) > limit:
                bound = f"{limit:,.0f}"
                raise ValidationError(self.env._(
                    "%(value)s is out of range for %(field)s (at most %(limit)s).",
                    value=value, field=self._crm_field_labels([name]), limit=bound,
                ))

    def _crm_check_texts(self, vals):
        """Texts without control characters (NUL and the like), refused with the
        field's name and the character, before the database sees them."""
        for name in set(self._crm_text_fields()).intersection(vals):
            value = vals[name]
            texts = value.values() if isinstance(value, dict) else [value]
            for text in texts:
                match = isinstance(text, str) and CONTROL_CHARACTERS.search(text)
                if match:
                    code = f"{ord(match.group()):04X}"
                    raise ValidationError(self.env._(
                        "%(field)s contains a control character (U+%(code)s), which no "
                        "text may hold: remove it and try again.",
                        field=self._crm_field_labels([name]),
                        code=code,
                    ))

    def _crm_field_labels(self, names):
        return ", ".join(sorted(
            self._fields[name].get_description(self.env)["string"] for name in names
        ))
