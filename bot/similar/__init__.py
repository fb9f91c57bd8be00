"""Text similarity: a shipped latent-semantic representation of papers and queries, and the
in-memory index over the archive that `related` and `search` use."""
