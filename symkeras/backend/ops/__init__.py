"""Op families. Each module holds its Op classes (shape rule, gradient, numpy reference and
lowering together) and the K functions built on them; backend/__init__.py re-exports the
functions named in each module's __all__."""
