"""Prefect flows: thin wiring of the pipeline's plain functions."""
