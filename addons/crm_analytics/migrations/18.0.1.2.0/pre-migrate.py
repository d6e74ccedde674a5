def migrate(cr, version):
    """The record rules of the customer value history (now readable by salespeople
    for their own and their team's customers) and of the value analysis are updated by
    the upgrade, although declared ``noupdate``."""
    cr.execute(
        """UPDATE ir_model_data SET noupdate = FALSE
            WHERE module = 'crm_analytics'
              AND name IN ('crm_customer_value_history_rule_own_customers',
                           'crm_customer_value_report_rule_personal')"""
    )
