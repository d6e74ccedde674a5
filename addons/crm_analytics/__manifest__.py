{
    "name": "CRM Analytics: Customer Value",
    "summary": "RFM scores, customer lifetime value (BG/NBD and Gamma-Gamma), the customer "
    "pyramid and the history of customer value",
    "version": "18.0.1.5.0",
    "category": "Sales/CRM",
    "license": "LGPL-3",
    "author": "CRM Suite",
    "website": "https://github.com/crm-suite/crm-suite",
    "development_status": "Beta",
    "maintainers": ["crm-suite"],
    "depends": ["crm_callcenter", "spreadsheet_dashboard"],
    "external_dependencies": {"python": ["numpy", "scipy"]},
    "data": [
        "security/crm_analytics_security.xml",
        "security/ir.model.access.csv",
        "data/crm_analytics_data.xml",
        "views/crm_clv_model_views.xml",
        "views/crm_customer_value_history_views.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "report/crm_analytics_report_security.xml",
        "report/crm_funnel_report_views.xml",
        "report/crm_customer_value_report_views.xml",
        "report/crm_retention_report_views.xml",
        "report/crm_service_report_views.xml",
        "report/crm_campaign_report_views.xml",
        "report/customer_value_pdf_templates.xml",
        "views/crm_analytics_menus.xml",
        # the dashboard links to the report menus: after them
        "data/crm_analytics_dashboard.xml",
    ],
    "demo": [
        "demo/crm_analytics_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "crm_analytics/static/tests/tours/*.js",
        ],
    },
    "post_init_hook": "post_init_hook",
    "installable": True,
    "application": False,
}
