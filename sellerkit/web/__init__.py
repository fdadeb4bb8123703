"""Pages served beside the API: the API documentation, from vendored assets."""
