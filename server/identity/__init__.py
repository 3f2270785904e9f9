"""Who is asking: principals, sign-in methods (local, school IdP, QR badges), audit."""
