"""The catalogue domain: publishers, products, offers, goal tags. No Flask, no vendor SDK."""
