"""A module that fails while Lambda initialises it."""

raise RuntimeError("init failed on purpose")
