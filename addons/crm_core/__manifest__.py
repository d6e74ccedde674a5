{
    "name": "CRM Core: Customer Profile and Sales Force Automation",
    "summary": "Customer profile and 360° view, competitors, sales targets, "
    "big-deal alerts and the forecast against targets",
    "version": "18.0.1.1.0",
    "category": "Sales/CRM",
    "license": "LGPL-3",
    "author": "CRM Suite",
    "website": "https://github.com/crm-suite/crm-suite",
    "development_status": "Production/Stable",
    "maintainers": ["crm-suite"],
    "depends": ["crm", "sale_crm", "contacts"],
    "data": [
        "security/crm_core_security.xml",
        "security/ir.model.access.csv",
        "data/crm_core_data.xml",
        "views/res_partner_views.xml",
        "views/crm_competitor_views.xml",
        "views/crm_lead_views.xml",
        "views/crm_team_views.xml",
        "views/crm_sales_target_views.xml",
        "views/crm_collection_plan_views.xml",
        "views/res_config_settings_views.xml",
        "wizard/crm_lead_lost_views.xml",
        "report/crm_competitor_report_views.xml",
        "report/crm_sales_forecast_report_views.xml",
        "report/crm_collection_report_views.xml",
        "views/crm_core_menus.xml",
    ],
    "demo": [
        "demo/crm_core_demo.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "crm_core/static/src/scss/crm_core.scss",
        ],
        "web.assets_tests": [
            "crm_core/static/tests/tours/*.js",
        ],
    },
    "post_init_hook": "post_init_hook",
    "installable": True,
    "application": False,
}
