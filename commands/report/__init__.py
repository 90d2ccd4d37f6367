"""Reports for commissioners and boards: the quarterly keyworking return."""
