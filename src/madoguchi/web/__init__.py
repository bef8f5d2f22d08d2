"""The desk web application: FastAPI routes, Jinja2 pages and the JSON API."""
