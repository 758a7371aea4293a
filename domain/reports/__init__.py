"""Reports residents file, their evidence, timeline and routing to the police."""
