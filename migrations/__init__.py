"""Alembic migrations, shipped inside the package so that `tinbao migrate` finds them."""
