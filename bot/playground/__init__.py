"""The playground of `tinbao demo`: what the page posts in, the outbox rows out to the page."""
