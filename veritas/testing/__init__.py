"""Helpers for tests, benchmarks and the CPU smoke run (imported only there)."""
