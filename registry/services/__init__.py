"""What the API, the pages and the CLI answer: one function per read and per calculation."""
