"""Endpoints: model versions served over HTTP with A/B and shadow variants."""
