"""Analysis stages, one module each, registered with :func:`narratrace.pipeline.stage`."""
