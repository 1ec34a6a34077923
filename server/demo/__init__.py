"""Made-up demo data under the city's real townships. Everyone in it is invented."""

from server.demo.data import load_demo

__all__ = ["load_demo"]
