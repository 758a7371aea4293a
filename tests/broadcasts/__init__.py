"""Tests of the broadcasts: the library of safety messages."""
