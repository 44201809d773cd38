"""The use cases, one module each: load what the decision needs, decide, write once."""
