"""veritas-rl: verifiable reasoning environments and the glue that trains on them with verl."""

__version__ = "0.1.0"
