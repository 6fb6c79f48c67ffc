"""Retrofit measurement and verification: baseline models, verified savings (docs/retrofit.md)."""
