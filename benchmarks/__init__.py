"""chainwatch benchmarks: `python -m benchmarks.run [--scale small|province|national] [--quick]`.

Figures go into BENCHMARKS.md; nothing here is a test (tests never assert timings).
"""
