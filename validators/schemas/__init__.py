"""JSON Schemas shipped with podcap (read with importlib.resources)."""
