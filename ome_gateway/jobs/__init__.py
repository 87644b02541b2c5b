"""Import jobs: Hugging Face models imported into OME by workers fed from a Redis Stream (no GraphQL here)."""
