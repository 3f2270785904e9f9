"""Learning goals served over HTTP: the JSON API for the apps and the CASE provider."""
