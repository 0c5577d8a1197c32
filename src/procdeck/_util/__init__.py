"""Small helpers shared by procdeck's parts.

Each module here imports only the standard library (no procdeck module, no HTTP or
GUI library), so any part of procdeck may use it without pulling anything in.
"""
