"""crosscloud policy packs (CrossGuard): shared rules in `policies.rules`, one folder per pack."""
