"""The `tinbao` command and the process that runs the whole service."""
