"""Stand-ins for outside services that tests and benchmarks run against (never the internet)."""
