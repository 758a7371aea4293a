"""`tinbao demo`: a demo ward on the real pipeline, with the browser playground."""
