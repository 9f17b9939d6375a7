"""HTTP plumbing shared by the API and the pages: sessions, cache, security, rate limits."""
