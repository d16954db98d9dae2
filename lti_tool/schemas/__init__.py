"""Marshmallow schemas at the edges: forms, JSON API, imports and exports."""
