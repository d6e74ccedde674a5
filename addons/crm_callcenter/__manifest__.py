{
    "name": "CRM Call Center: ACD, IVR and CTI",
    "summary": "Call log matched to customers, value-based routing (ACD), IVR menus and "
    "a CTI interface for the PBX",
    "version": "18.0.1.4.0",
    "category": "Sales/CRM",
    "license": "LGPL-3",
    "author": "CRM Suite",
    "website": "https://github.com/crm-suite/crm-suite",
    "development_status": "Beta",
    "maintainers": ["crm-suite"],
    "depends": ["crm_service", "crm_marketing", "phone_validation", "im_livechat"],
    # numbers in E.164 and the do-not-call list: the host reads them with it
    "external_dependencies": {"python": ["phonenumbers"]},
    "data": [
        "security/crm_callcenter_security.xml",
        "security/ir.model.access.csv",
        "data/crm_callcenter_data.xml",
        "views/crm_call_views.xml",
        "views/crm_call_agent_views.xml",
        "views/crm_call_queue_views.xml",
        "views/crm_call_skill_views.xml",
        "views/crm_call_outcome_views.xml",
        "views/crm_ivr_menu_views.xml",
        "views/crm_cti_endpoint_views.xml",
        "views/crm_call_list_views.xml",
        "views/crm_call_list_entry_views.xml",
        "views/crm_lead_views.xml",
        "views/crm_complaint_views.xml",
        "views/im_livechat_channel_views.xml",
        "report/crm_call_report_views.xml",
        "views/res_partner_views.xml",
        "wizard/crm_call_list_outcome_wizard_views.xml",
        "views/crm_callcenter_menus.xml",
    ],
    "demo": [
        "demo/crm_callcenter_demo.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "crm_callcenter/static/src/**/*",
        ],
        "web.assets_tests": [
            "crm_callcenter/static/tests/tours/*.js",
        ],
    },
    "installable": True,
    "application": True,
}
