"""JSON API routers, mounted under /api."""
