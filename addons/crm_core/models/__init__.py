from . import crm_competitor, crm_lead, crm_sales_target, crm_team, res_partner, sale_order
