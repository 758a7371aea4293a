"""The browser playground of `tinbao demo`: page, endpoints and feed; never on `serve`."""
