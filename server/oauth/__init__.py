"""OAuth 2 / OpenID Connect authorization server (Authlib)."""
