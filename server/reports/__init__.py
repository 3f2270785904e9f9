"""Reports for municipal buyers and school leaders: spend, the subsidy claim, charts."""
