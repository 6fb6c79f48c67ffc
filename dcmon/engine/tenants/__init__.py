"""Tenant attribution: per tenant, site and calendar month, IT energy, a share of the facility
overhead, CO2 and cost, adding up exactly to the site's totals (docs/tenants.md)."""
