"""Phone numbers in E.164, through the host's phone_validation."""

import re

SEPARATORS = re.compile(r"[\s\\./()\-]")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def normalize_phone(env, number, country=None):
    """The E.164 form of ``number`` (``+8613800138000``), or False when it is not a
    valid number.

    The host's ``_phone_format`` does the work with the ``phonenumbers`` library,
    in the country given, else the company's. Without the library, the host gives
    the number back as typed: it is then read plainly (``00`` is the international
    prefix, a leading ``0`` the national trunk prefix of ``country``).
    """
    if not number or not isinstance(number, str):
        return False
    country = country or env.company.country_id
    formatted = env["res.partner"]._phone_format(
        number=number, country=country, force_format="E164", raise_exception=False,
    )
    if not formatted:
        return False
    digits = SEPARATORS.sub("", formatted)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif not digits.startswith("+"):
        if not country or not country.phone_code:
            return False
        digits = f"+{country.phone_code}{digits.removeprefix('0')}"
    return digits if E164.match(digits) else False
