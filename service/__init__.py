"""The FastAPI app, its API and pages, and the `atlas` command line."""
