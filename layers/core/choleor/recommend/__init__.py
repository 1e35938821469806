"""Recommendation core: numpy in, numpy out (no storage, no HTTP).

features -> index (built once) -> scores -> rank (six candidates) / auto (whole sequence);
baselines and metrics compare methods.
"""
