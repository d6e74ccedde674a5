{
    "name": "CRM Marketing: Campaigns, Segments, Loyalty and Customer Care",
    "summary": "Campaign budgets, costs, ROI and funnel, customer segments synced to "
    "mailing lists, loyalty tiers and customer care rules",
    "version": "18.0.1.1.1",
    "category": "Sales/CRM",
    "license": "LGPL-3",
    "author": "CRM Suite",
    "website": "https://github.com/crm-suite/crm-suite",
    "development_status": "Production/Stable",
    "maintainers": ["crm-suite"],
    "depends": ["crm_core", "mass_mailing_crm", "sale_loyalty", "sms"],
    "data": [
        "security/crm_marketing_security.xml",
        "security/ir.model.access.csv",
        "data/crm_marketing_data.xml",
        "data/mail_template_data.xml",
        "views/utm_campaign_views.xml",
        "views/hr_expense_views.xml",
        "views/crm_segment_views.xml",
        "views/crm_loyalty_tier_views.xml",
        "views/crm_care_rule_views.xml",
        "views/res_partner_views.xml",
        "report/crm_campaign_report_views.xml",
        "views/crm_marketing_menus.xml",
    ],
    "demo": [
        "demo/crm_marketing_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "crm_marketing/static/tests/tours/*.js",
        ],
    },
    "installable": True,
    "application": False,
}
