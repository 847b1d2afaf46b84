"""GCP client construction, error mapping and typed reads (google.* is imported lazily)."""
