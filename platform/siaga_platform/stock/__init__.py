"""Blank cards (blanko) and printer ribbon: the stock ledger, loans, requests to the centre."""
