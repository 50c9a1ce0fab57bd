"""Test support that ships with the package: the scripted model server.

Used by the test suite and the benchmarks; never by the app itself.
"""
