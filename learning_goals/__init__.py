"""Learning-goal frameworks (Fælles Mål and any CASE framework): the domain, no Flask."""
