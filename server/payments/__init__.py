"""Payments: the payment port, its invoice and Stripe adapters, payouts to publishers."""
