"""The catalogue served over HTTP: products, offers, assets, review workflow, reviews, import."""
