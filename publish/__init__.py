"""Deterministic splits and atomic, immutable, versioned publishing."""
