"""The web app and JSON API: ``create_app(store_path)`` returns an ASGI app (FastAPI).

Serve it with ``narratrace serve --db FILE`` (uvicorn); see ``docs/web.md``.
"""

from narratrace.web.app import create_app

__all__ = ["create_app"]
