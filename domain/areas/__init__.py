"""Areas: provinces, wards and residential groups, with former names as aliases."""
