"""The web archive and the Atom feeds: read-only views of the stored digests."""
