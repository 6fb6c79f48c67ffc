"""Reports for people: capacity as HTML (inline SVG charts), PDF, CSV and JSON (docs/capacity.md).

Reports read the same typed results as the API and /metrics, so a printed page and a scrape tell
the same numbers.
"""
