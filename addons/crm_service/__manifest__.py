{
    "name": "CRM Service: Complaints, SLA and Customer Satisfaction",
    "summary": "Complaints and after-sales service with SLA in working time, escalation, "
    "knowledge base, email and portal intake and satisfaction surveys",
    "version": "18.0.1.1.0",
    "category": "Services/Customer Service",
    "license": "LGPL-3",
    "author": "CRM Suite",
    "website": "https://github.com/crm-suite/crm-suite",
    "development_status": "Production/Stable",
    "maintainers": ["crm-suite"],
    "depends": ["crm_core", "survey", "portal", "resource", "mail"],
    "data": [
        "security/crm_service_security.xml",
        "security/ir.model.access.csv",
        "data/crm_service_data.xml",
        "data/crm_service_survey_data.xml",
        "views/crm_complaint_stage_views.xml",
        "views/crm_complaint_category_views.xml",
        "views/crm_complaint_views.xml",
        "views/crm_sla_policy_views.xml",
        "views/crm_solution_views.xml",
        "views/res_partner_views.xml",
        "views/crm_team_views.xml",
        "views/crm_complaint_portal_templates.xml",
        "report/crm_complaint_satisfaction_report_views.xml",
        "views/crm_service_menus.xml",
    ],
    "demo": [
        "demo/crm_service_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "crm_service/static/tests/tours/*.js",
        ],
    },
    "installable": True,
    "application": True,
}
