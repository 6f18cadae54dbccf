"""Substitute letters (Suket): issue, number, print, verify publicly, renew, revoke."""
