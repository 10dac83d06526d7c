"""Command-line actions behind `particula ...`: each reads its inputs, calls the library, writes its outputs."""
