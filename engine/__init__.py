"""onde-sacoche: turn an ONDE pupil export and a SACoche database into a reviewable change plan."""

__version__ = "0.1.0"
