"""Benchmarks: awskit side by side with its peers, in one run. Entry point: python -m bench."""
