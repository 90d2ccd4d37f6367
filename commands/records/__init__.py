"""Information governance: a young person's case record, its transfer,
consent, retention and erasure, the access log and membership reviews."""
