"""Phone numbers in E.164, through the host's phone_validation."""


def normalize_phone(env, number, country=None):
    """The E.164 form of ``number`` (``+8613800138000``) read in ``country`` (else the
    company's), or False when it is not a valid number: the host's ``_phone_format``,
    with the ``phonenumbers`` library (a requirement of the suite), as the host's
    do-not-call list (``phone.blacklist``) stores its numbers."""
    if not number or not isinstance(number, str):
        return False
    return env["res.partner"]._phone_format(
        number=number, country=country or env.company.country_id, force_format="E164",
        raise_exception=False,
    ) or False
