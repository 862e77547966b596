"""Row filters: each takes an Arrow table and returns what it kept, what it removed and why."""
